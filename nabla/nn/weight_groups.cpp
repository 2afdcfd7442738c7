#include "nabla/nn/weight_groups.h"

namespace nabla::nn {

std::string keras_weight_group(const Layer& layer, size_t index) {
  // A weight named "<sublayer>/<name>" belongs to that Keras sublayer: MultiHeadAttention's "query_dense/kernel"
  // is "layers/multi_head_attention/query_dense/vars/0" in Keras's file.
  const std::string& name = layer.weights()[index].name;
  const size_t slash = name.rfind('/');
  return slash == std::string::npos ? "" : name.substr(0, slash);
}

}  // namespace nabla::nn
