#include "nabla/nn/weight_groups.h"

#include "nabla/nn/bidirectional.h"
#include "nabla/nn/recurrent_layer.h"
#include "nabla/nn/time_distributed.h"

namespace nabla::nn {

std::string keras_weight_group(const Layer& layer, size_t index) {
  if (dynamic_cast<const RecurrentLayer*>(&layer)) return "cell";
  if (const auto* b = dynamic_cast<const Bidirectional*>(&layer)) {
    const size_t nf = b->forward_layer()->weights().size();
    return index < nf ? "forward_layer/" + keras_weight_group(*b->forward_layer(), index)
                      : "backward_layer/" + keras_weight_group(*b->backward_layer(), index - nf);
  }
  if (const auto* t = dynamic_cast<const TimeDistributed*>(&layer)) {
    const std::string inner = keras_weight_group(*t->layer(), index);
    return inner.empty() ? "layer" : "layer/" + inner;
  }
  // A weight named "<sublayer>/<name>" belongs to that Keras sublayer: MultiHeadAttention's "query_dense/kernel"
  // is "layers/multi_head_attention/query_dense/vars/0" in Keras's file.
  const std::string& name = layer.weights()[index].name;
  const size_t slash = name.rfind('/');
  return slash == std::string::npos ? "" : name.substr(0, slash);
}

}  // namespace nabla::nn
