#pragma once
// Small models for the debug tests: a layer that applies any function, under a chosen name.
#include <functional>

#include "test_util.h"

namespace nabla::testing {

class FnLayer : public nn::Layer {
 public:
  FnLayer(std::string name, std::function<Tensor(const Tensor&)> fn) : Layer("Fn"), fn_(std::move(fn)) {
    set_name(std::move(name));
  }
  using Layer::call;
  Tensor call(const Tensor& x, bool) override { return fn_(x); }
  Shape compute_output_shape(const std::vector<Shape>& in) const override { return in.at(0); }

 private:
  std::function<Tensor(const Tensor&)> fn_;
};

inline nn::LayerPtr fn_layer(const std::string& name, std::function<Tensor(const Tensor&)> fn) {
  return std::make_shared<FnLayer>(name, std::move(fn));
}

inline nn::LayerPtr named(nn::LayerPtr l, const std::string& name) {
  l->set_name(name);
  return l;
}

}  // namespace nabla::testing
