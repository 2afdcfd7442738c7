#pragma once
// Where Keras 3 keeps a layer's weights in a .keras file when a sub-object of the layer holds them: a recurrent
// layer's cell ("layers/lstm/cell/vars"), Bidirectional's two layers ("forward_layer/cell",
// "backward_layer/cell"), TimeDistributed's layer ("layer"). io/model_file groups each layer's weights by it.
#include <cstddef>
#include <string>

#include "nabla/nn/layer.h"

namespace nabla::nn {

// The object path, relative to the layer's, of the sub-object holding weight `index` of layer.weights(); ""
// for the layer's own variables.
std::string keras_weight_group(const Layer& layer, size_t index);

}  // namespace nabla::nn
