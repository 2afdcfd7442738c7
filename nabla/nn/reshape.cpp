#include "nabla/nn/reshape.h"

#include <nlohmann/json.hpp>

#include "nabla/nn/serialization.h"
#include <sstream>

#include "nabla/ops/shape_ops.h"

namespace nabla::nn {
namespace {
// "(-1, 4)": the target as given (Shape::str would print -1 as None).
std::string target_str(const std::vector<int64_t>& t) {
  std::ostringstream os;
  os << "(";
  for (size_t i = 0; i < t.size(); ++i) os << (i ? ", " : "") << t[i];
  os << (t.size() == 1 ? ",)" : ")");
  return os.str();
}
}  // namespace

Reshape::Reshape(std::vector<int64_t> target_shape, std::vector<int64_t> input_shape)
    : Layer("Reshape"), target_(std::move(target_shape)) {
  int unknown = 0;
  for (int64_t d : target_) {
    NABLA_CHECK(d > 0 || d == -1, "Reshape: target_shape entries must be positive or -1, got ", target_str(target_));
    unknown += d == -1;
  }
  NABLA_CHECK(unknown <= 1, "Reshape: at most one entry of target_shape may be -1, got ", target_str(target_));
  declared_input_shape_ = std::move(input_shape);
}

Shape Reshape::compute_output_shape(const std::vector<Shape>& in) const {
  NABLA_CHECK_SHAPE(in.size() == 1 && in[0].size() >= 1, "layer '", name(), "' (Reshape) needs a batch axis");
  int64_t have = 1, known = 1;
  for (int i = 1; i < in[0].size(); ++i) have *= in[0][i];
  int free_axis = -1;
  Shape out{in[0][0]};
  for (size_t i = 0; i < target_.size(); ++i) {
    if (target_[i] == -1)
      free_axis = int(i) + 1;
    else
      known *= target_[i];
    out.push_back(target_[i]);
  }
  auto fail = [&] {
    return ShapeError(detail::concat("layer '", name(), "' (Reshape) cannot reshape input of shape ", in[0].str(),
                                     " (", have, " values per sample) to target shape ",
                                     target_str(target_)));
  };
  if (free_axis >= 0) {
    if (known == 0 || have % known != 0) throw fail();
    out[free_axis] = have / known;
  } else if (known != have) {
    throw fail();
  }
  return out;
}

Tensor Reshape::call(const Tensor& x, bool) {
  Shape s = x.shape();
  if (s.size()) s[0] = -1;
  Shape out = compute_output_shape({s});
  out[0] = x.dim() ? x.size(0) : 1;
  return reshape(x, out);
}

nlohmann::json Reshape::get_config() const {
  nlohmann::json c = Layer::get_config();
  c["target_shape"] = target_;
  return c;
}

std::shared_ptr<Reshape> Reshape::from_config(const nlohmann::json& c) {
  const std::string who = "Reshape config";
  NABLA_CHECK(c.contains("target_shape"), who, ": \"target_shape\" is required");
  auto layer = std::make_shared<Reshape>(saving::get_ints(c, "target_shape", {}, who));
  layer->load_base_config(c);
  return layer;
}

}  // namespace nabla::nn

namespace nabla::layers {
std::shared_ptr<nn::Reshape> Reshape(std::vector<int64_t> target_shape, std::vector<int64_t> input_shape) {
  return std::make_shared<nn::Reshape>(std::move(target_shape), std::move(input_shape));
}
}  // namespace nabla::layers
