#include "nabla/nn/permute.h"

#include <nlohmann/json.hpp>

#include "nabla/nn/serialization.h"
#include "nabla/ops/shape_ops.h"

namespace nabla::nn {
namespace {
std::string dims_str(const std::vector<int64_t>& d) {
  std::string s = "(";
  for (size_t i = 0; i < d.size(); ++i) s += (i ? ", " : "") + std::to_string(d[i]);
  return s + ")";
}
}  // namespace

Permute::Permute(std::vector<int64_t> dims) : Layer("Permute"), dims_(std::move(dims)) {
  std::vector<bool> seen(dims_.size(), false);
  for (int64_t d : dims_) {
    NABLA_CHECK(d >= 1 && d <= int64_t(dims_.size()) && !seen[size_t(d - 1)], "Permute: dims ", dims_str(dims_),
                " must be a permutation of 1..", dims_.size(), " (the batch axis is left out)");
    seen[size_t(d - 1)] = true;
  }
}

Shape Permute::compute_output_shape(const std::vector<Shape>& in) const {
  NABLA_CHECK_SHAPE(in.size() == 1 && in[0].size() == int(dims_.size()) + 1, "layer '", name(),
                    "' (Permute) with dims ", dims_str(dims_), " expects inputs of rank ", dims_.size() + 1,
                    ", got shape ", in.empty() ? std::string("none") : in[0].str());
  Shape out{in[0][0]};
  for (int64_t d : dims_) out.push_back(in[0][int(d)]);
  return out;
}

Tensor Permute::call(const Tensor& x, bool) {
  Shape s = x.shape();
  if (s.size()) s[0] = -1;
  compute_output_shape({s});
  std::vector<int> axes{0};
  for (int64_t d : dims_) axes.push_back(int(d));
  return permute(x, axes);
}

nlohmann::json Permute::get_config() const {
  nlohmann::json c = Layer::get_config();
  c["dims"] = dims_;
  return c;
}

std::shared_ptr<Permute> Permute::from_config(const nlohmann::json& c) {
  const std::string who = "Permute config";
  NABLA_CHECK(c.contains("dims"), who, ": \"dims\" is required");
  auto layer = std::make_shared<Permute>(saving::get_ints(c, "dims", {}, who));
  layer->load_base_config(c);
  return layer;
}

}  // namespace nabla::nn

namespace nabla::layers {
std::shared_ptr<nn::Permute> Permute(std::vector<int64_t> dims) { return std::make_shared<nn::Permute>(std::move(dims)); }
}  // namespace nabla::layers
