#include "nabla/nn/layer.h"

#include <cctype>
#include <map>
#include <mutex>

#include "nabla/autograd/grad_mode.h"
#include "nabla/autograd/node.h"
#include "nabla/nn/masking.h"
#include "nabla/ops/math.h"
#include "nabla/nn/serialization.h"

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

Tensor Layer::operator()(const std::vector<Tensor>& xs, bool training) { return call_with_mask(xs, {}, training).first; }

std::pair<Tensor, Tensor> Layer::call_with_mask(const std::vector<Tensor>& xs, const std::vector<Tensor>& masks,
                                                bool training) {
  std::vector<Shape> shapes;
  for (const Tensor& x : xs) {
    Shape s = x.shape();
    if (s.size() > 0) s[0] = -1;
    shapes.push_back(s);
  }
  ensure_built(shapes);
  autograd::NameScope scope(name_);
  NABLA_CHECK(masks.empty() || masks.size() == xs.size(), "layer '", name_, "' (", type_, "): ", masks.size(),
              " masks for ", xs.size(), " inputs");
  const bool masked = xs.size() == 1 && masks.size() == 1 && masks[0].defined();
  Tensor y = masked ? call_masked(xs[0], masks[0], training) : call(xs, training);
  Tensor m;
  if (supports_masking_) {
    NoGradGuard ng;
    m = compute_mask(xs, masks);
  }
  return {y, m};
}

Tensor Layer::compute_mask(const std::vector<Tensor>&, const std::vector<Tensor>& masks) const {
  Tensor r;
  for (const Tensor& m : masks) {
    if (!m.defined()) continue;
    Tensor b = mask_as(m, u8);
    r = r.defined() ? mask_as(mul(mask_as(r, f32), mask_as(b, f32)), u8) : b;  // AND
  }
  return r;
}

Tensor Layer::add_weight(const std::string& name, const Shape& shape, const Initializer& init, bool trainable_w,
                         DType dtype, Regularizer regularizer) {
  NABLA_CHECK(!has_weight(name), "layer '", name_, "' (", type_, ") already has a weight named '", name, "'");
  Tensor t = Tensor::empty(shape, dtype);
  init(t);
  if (trainable_w) t.requires_grad_(true);
  weights_.push_back({name, t, trainable_w, std::move(regularizer)});
  return t;
}

bool Layer::has_weight(const std::string& n) const {
  for (const Weight& w : weights_)
    if (w.name == n) return true;
  return false;
}

Tensor Layer::weight(const std::string& n) const {
  for (const Weight& w : weights_)
    if (w.name == n) return w.value;
  std::string names;
  for (const Weight& w : weights_) names += (names.empty() ? "" : ", ") + w.name;
  throw ValueError(detail::concat("layer '", name_, "' (", type_, ") has no weight named '", n, "'",
                                  built_ ? " (its weights: " + (names.empty() ? std::string("none") : names) + ")"
                                         : std::string(" (it is not built yet: call it on data or build it first)")));
}

std::vector<Tensor> Layer::regularization_losses() const {
  std::vector<Tensor> r;
  if (!trainable) return r;
  for (const Weight& w : weights_)
    if (w.trainable && w.regularizer) r.push_back(w.regularizer(w.value));
  return r;
}

nlohmann::json Layer::get_config() const {
  nlohmann::json c = nlohmann::json::object();
  c["name"] = name_.empty() ? snake_case(type_) : name_;
  c["trainable"] = trainable;
  c["dtype"] = saving::serialize_object("keras", "DTypePolicy", {{"name", "float32"}});
  return c;
}

void Layer::load_base_config(const nlohmann::json& c) {
  std::string who = type_ + " config";
  NABLA_CHECK(c.is_object(), who, ": expected an object, got ", c.dump());
  std::string n = saving::get_string(c, "name", "", who);
  if (!n.empty()) name_ = n;
  trainable = saving::get_bool(c, "trainable", true, who);
  if (c.contains("dtype") && !c["dtype"].is_null()) {
    const nlohmann::json& d = c["dtype"];
    std::string dt = d.is_string() ? d.get<std::string>()
                     : d.is_object() && d.contains("config") && d["config"].contains("name") &&
                             d["config"]["name"].is_string()
                         ? d["config"]["name"].get<std::string>()
                         : std::string("?");
    NABLA_CHECK(dt == "float32", who, ": nabla layers compute in float32; dtype policy '", dt, "' (",
                d.dump(), ") is not supported");
  }
}

std::string Layer::config_str() const {
  nlohmann::json c = get_config();
  std::string s;
  for (auto it = c.begin(); it != c.end(); ++it) {
    const std::string& k = it.key();
    if (k == "name" || k == "trainable" || k == "dtype" || it->is_null() || it->is_object()) continue;
    s += (s.empty() ? "" : ", ") + k + "=" + (it->is_string() ? it->get<std::string>() : it->dump());
  }
  return s;
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
