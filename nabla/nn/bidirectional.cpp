#include "nabla/nn/bidirectional.h"

#include <nlohmann/json.hpp>

#include "nabla/nn/layer_registry.h"
#include "nabla/nn/serialization.h"
#include "nabla/ops/math.h"
#include "nabla/ops/shape_ops.h"

namespace nabla::nn {

namespace {

// A fresh recurrent layer from `layer`'s config (Keras's Bidirectional re-creates its layers from the config, so
// that they carry no state of the layer passed in), renamed and with go_backwards set as asked.
std::shared_ptr<RecurrentLayer> copy_recurrent(const LayerPtr& layer, const std::string& name, bool go_backwards,
                                               const std::string& who) {
  NABLA_CHECK(layer != nullptr, who, ": no layer given");
  NABLA_CHECK(dynamic_cast<const RecurrentLayer*>(layer.get()) != nullptr, who,
              ": wraps a recurrent layer (SimpleRNN, LSTM, GRU), got ", layer->type());
  nlohmann::json j = serialize_layer(*layer);
  j.erase("build_config");
  j["config"]["name"] = name;
  j["config"]["go_backwards"] = go_backwards;
  auto r = std::dynamic_pointer_cast<RecurrentLayer>(deserialize_layer(j, false));
  NABLA_CHECK(r != nullptr, who, ": could not copy layer '", layer->name(), "'");
  return r;
}

// x [N, T, ...] with the time axis reversed (a differentiable gather).
Tensor reverse_time(const Tensor& x) {
  const int64_t t = x.size(1);
  std::vector<int64_t> idx(static_cast<size_t>(t));
  for (int64_t i = 0; i < t; ++i) idx[size_t(i)] = t - 1 - i;
  return transpose(take_rows(transpose(x, 0, 1), idx), 0, 1);
}

}  // namespace

Bidirectional::Bidirectional(const LayerPtr& layer, std::string merge_mode, const LayerPtr& backward_layer,
                             std::vector<int64_t> input_shape)
    : Layer("Bidirectional"), merge_mode_(std::move(merge_mode)) {
  const std::string who = "Bidirectional";
  NABLA_CHECK(merge_mode_ == "concat" || merge_mode_ == "sum" || merge_mode_ == "mul" || merge_mode_ == "ave" ||
                  merge_mode_.empty(),
              who, ": merge_mode must be concat, sum, mul, ave or None (\"\"), got '", merge_mode_, "'");
  NABLA_CHECK(layer != nullptr, who, ": no layer given");
  const bool back = dynamic_cast<const RecurrentLayer*>(layer.get()) &&
                    static_cast<const RecurrentLayer&>(*layer).options().go_backwards;
  // Keras names them forward_<name> and backward_<name>; a config read back already holds forward_<name>.
  std::string base = layer->name().empty() ? snake_case(layer->type()) : layer->name();
  if (base.rfind("forward_", 0) == 0) base = base.substr(8);
  forward_ = copy_recurrent(layer, "forward_" + base, back, who);
  if (backward_layer) {
    backward_ = std::dynamic_pointer_cast<RecurrentLayer>(backward_layer);
    NABLA_CHECK(backward_ != nullptr, who, ": backward_layer must be a recurrent layer, got ", backward_layer->type());
    NABLA_CHECK(backward_->options().go_backwards != forward_->options().go_backwards, who,
                ": layer and backward_layer must have different go_backwards");
    NABLA_CHECK(backward_->options().return_sequences == forward_->options().return_sequences, who,
                ": layer and backward_layer must have the same return_sequences");
  } else {
    backward_ = copy_recurrent(layer, "backward_" + base, !back, who);
  }
  NABLA_CHECK(!forward_->options().return_state, who, ": return_state is not supported in Bidirectional");
  // Keras: masked steps of returned sequences are zeros in both directions.
  forward_->set_zero_output_for_mask(forward_->options().return_sequences);
  backward_->set_zero_output_for_mask(backward_->options().return_sequences);
  supports_masking_ = true;
  declared_input_shape_ = std::move(input_shape);
}

void Bidirectional::build(const std::vector<Shape>& in) {
  forward_->ensure_built(in);
  backward_->ensure_built(in);
  for (const auto& l : {forward_, backward_})
    for (const Weight& w : l->weights())
      weights().push_back({(l == forward_ ? "forward_" : "backward_") + w.name, w.value, w.trainable, w.regularizer});
}

Shape Bidirectional::compute_output_shape(const std::vector<Shape>& in) const {
  Shape s = forward_->compute_output_shape(in);
  NABLA_CHECK(!merge_mode_.empty(), "layer '", name(), "' (Bidirectional) with merge_mode None gives two outputs; "
              "call call_both() (a layer of a nabla model returns one tensor)");
  if (merge_mode_ == "concat") s[s.size() - 1] = s.back() + backward_->units();
  return s;
}

std::pair<Tensor, Tensor> Bidirectional::run(const Tensor& x, const Tensor& mask, bool training) {
  std::vector<Tensor> masks;
  if (mask.defined()) masks.push_back(mask);
  Tensor f = forward_->call_with_mask({x}, masks, training).first;
  Tensor b = backward_->call_with_mask({x}, masks, training).first;
  if (backward_->options().return_sequences) b = reverse_time(b);  // back to input order (Keras)
  return {f, b};
}

std::pair<Tensor, Tensor> Bidirectional::call_both(const Tensor& x, const Tensor& mask, bool training) {
  Shape s = x.shape();
  if (s.size() > 0) s[0] = -1;
  ensure_built({s});
  return run(x, mask, training);
}

Tensor Bidirectional::call_masked(const Tensor& x, const Tensor& mask, bool training) {
  NABLA_CHECK(!merge_mode_.empty(), "layer '", name(), "' (Bidirectional) with merge_mode None gives two outputs; "
              "call call_both()");
  auto [f, b] = run(x, mask, training);
  if (merge_mode_ == "concat") return concat({f, b}, -1);
  if (merge_mode_ == "sum") return f + b;
  if (merge_mode_ == "mul") return f * b;
  return (f + b) * 0.5;  // ave
}

Tensor Bidirectional::call(const Tensor& x, bool training) { return call_masked(x, Tensor(), training); }

Tensor Bidirectional::compute_mask(const std::vector<Tensor>&, const std::vector<Tensor>& masks) const {
  if (!forward_->options().return_sequences || masks.empty()) return Tensor();
  return masks[0];
}

nlohmann::json Bidirectional::get_config() const {
  nlohmann::json c = Layer::get_config();
  c["merge_mode"] = merge_mode_.empty() ? nlohmann::json() : nlohmann::json(merge_mode_);
  nlohmann::json f = serialize_layer(*forward_), b = serialize_layer(*backward_);
  f.erase("build_config");
  b.erase("build_config");
  c["layer"] = f;
  c["backward_layer"] = b;
  return c;
}

std::shared_ptr<Bidirectional> Bidirectional::from_config(const nlohmann::json& c) {
  const std::string who = "Bidirectional config";
  NABLA_CHECK(c.contains("layer") && c["layer"].is_object(), who, ": \"layer\" (the wrapped layer) is required");
  LayerPtr layer = deserialize_layer(c["layer"], false);
  LayerPtr back = c.contains("backward_layer") && c["backward_layer"].is_object()
                      ? deserialize_layer(c["backward_layer"], false)
                      : nullptr;
  std::string mode = c.contains("merge_mode") && c["merge_mode"].is_null()
                         ? std::string()
                         : saving::get_string(c, "merge_mode", "concat", who);
  auto l = std::make_shared<Bidirectional>(layer, mode, back);
  l->load_base_config(c);
  return l;
}

}  // namespace nabla::nn

namespace nabla::layers {
std::shared_ptr<nn::Bidirectional> Bidirectional(const nn::LayerPtr& layer, const std::string& merge_mode,
                                                 const nn::LayerPtr& backward_layer) {
  return std::make_shared<nn::Bidirectional>(layer, merge_mode, backward_layer);
}
}  // namespace nabla::layers
