#include "nabla/nn/layer.h"

#include <cctype>
#include <map>
#include <mutex>

#include "nabla/autograd/node.h"

namespace nabla::nn {

std::string snake_case(const std::string& type) {
  std::string s;
  for (size_t i = 0; i < type.size(); ++i) {
    char c = type[i];
    if (std::isupper(static_cast<unsigned char>(c))) {
      bool prev_lower = i > 0 && (std::islower(static_cast<unsigned char>(type[i - 1])) ||
                                  std::isdigit(static_cast<unsigned char>(type[i - 1])));
      bool next_lower = i + 1 < type.size() && std::islower(static_cast<unsigned char>(type[i + 1]));
      if (i > 0 && (prev_lower || (next_lower && std::isupper(static_cast<unsigned char>(type[i - 1])))) &&
          !std::isdigit(static_cast<unsigned char>(type[i - 1])))
        s += '_';
      s += char(std::tolower(static_cast<unsigned char>(c)));
    } else {
      s += c;
    }
  }
  return s;
}

std::string unique_layer_name(const std::string& base) {
  static std::mutex mu;
  static std::map<std::string, int> counts;
  std::lock_guard<std::mutex> lock(mu);
  int n = counts[base]++;
  return n == 0 ? base : base + "_" + std::to_string(n);
}

Tensor Layer::call(const Tensor&, bool) {
  throw Error(detail::concat("layer '", name_, "' (", type_, ") takes several inputs; call it with a list"));
}

Tensor Layer::call(const std::vector<Tensor>& xs, bool training) {
  NABLA_CHECK(xs.size() == 1, "layer '", name_, "' (", type_, ") takes one input, got ", xs.size());
  return call(xs[0], training);
}

void Layer::build(const std::vector<Shape>&) {}

void Layer::ensure_built(const std::vector<Shape>& shapes) {
  if (name_.empty()) name_ = unique_layer_name(snake_case(type_));
  if (built_) return;
  build(shapes);
  built_input_shapes_ = shapes;
  built_ = true;
}

Tensor Layer::operator()(const Tensor& x, bool training) { return (*this)(std::vector<Tensor>{x}, training); }

Tensor Layer::operator()(const std::vector<Tensor>& xs, bool training) {
  std::vector<Shape> shapes;
  for (const Tensor& x : xs) {
    Shape s = x.shape();
    if (s.size() > 0) s[0] = -1;
    shapes.push_back(s);
  }
  ensure_built(shapes);
  autograd::NameScope scope(name_);
  return call(xs, training);
}

Tensor& Layer::add_weight(const std::string& name, const Shape& shape, const Initializer& init, bool trainable_w,
                          DType dtype) {
  Tensor t = Tensor::empty(shape, dtype);
  init(t);
  if (trainable_w) t.requires_grad_(true);
  weights_.push_back({name, t, trainable_w});
  return weights_.back().value;
}

std::vector<Tensor> Layer::trainable_weights() const {
  std::vector<Tensor> r;
  if (!trainable) return r;
  for (const Weight& w : weights_)
    if (w.trainable) r.push_back(w.value);
  return r;
}

std::vector<Tensor> Layer::non_trainable_weights() const {
  std::vector<Tensor> r;
  for (const Weight& w : weights_)
    if (!w.trainable || !trainable) r.push_back(w.value);
  return r;
}

int64_t Layer::count_params() const {
  int64_t n = 0;
  for (const Weight& w : weights_) n += w.value.numel();
  return n;
}

}  // namespace nabla::nn
