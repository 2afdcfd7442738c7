#include "nabla/nn/activation.h"

#include "nabla/ops/activations.h"

namespace nabla::nn {

Activation::Activation(std::string a) : Layer("Activation"), activation_(std::move(a)) {
  NABLA_CHECK(is_activation_name(activation_), "Activation: unknown activation '", activation_, "'");
}

Tensor Activation::call(const Tensor& x, bool) { return activation(x, activation_); }

}  // namespace nabla::nn

namespace nabla::layers {
std::shared_ptr<nn::Activation> Activation(const std::string& a) { return std::make_shared<nn::Activation>(a); }
}  // namespace nabla::layers
