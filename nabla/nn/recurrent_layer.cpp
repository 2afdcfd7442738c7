#include "nabla/nn/recurrent_layer.h"

#include <nlohmann/json.hpp>

#include "nabla/autograd/grad_mode.h"
#include "nabla/autograd/node.h"
#include "nabla/nn/layer_registry.h"
#include "nabla/nn/masking.h"
#include "nabla/nn/serialization.h"
#include "nabla/ops/math.h"
#include "nabla/ops/shape_ops.h"

namespace nabla::nn {

namespace {
int gates(RecurrentCell c) { return c == RecurrentCell::lstm ? 4 : c == RecurrentCell::gru ? 3 : 1; }

// A dropout mask of `shape`: 0 with probability rate, else 1 / (1 - rate) (inverted dropout).
Tensor dropout_mask(const Shape& shape, double rate, DType dt, Generator* gen) {
  Generator& g = gen ? *gen : default_generator();
  Tensor m = make_tensor(shape, f64);
  double* p = m.data<double>();
  const double keep = 1.0 / (1.0 - rate);
  for (int64_t i = 0; i < m.numel(); ++i) p[i] = g.uniform() >= rate ? keep : 0.0;
  return m.to(dt);
}
}  // namespace

RecurrentLayer::RecurrentLayer(std::string type, RecurrentCell cell, int64_t units, RecurrentOptions opts)
    : Layer(std::move(type)), cell_(cell), units_(units), opts_(std::move(opts)) {
  supports_masking_ = true;
  const std::string who = this->type();
  NABLA_CHECK(units > 0, who, ": units must be positive, got ", units);
  NABLA_CHECK(is_recurrent_activation(opts_.activation), who, ": unsupported activation '", opts_.activation,
              "' (tanh, sigmoid, relu, hard_sigmoid, linear)");
  NABLA_CHECK(is_recurrent_activation(opts_.recurrent_activation), who, ": unsupported recurrent_activation '",
              opts_.recurrent_activation, "' (tanh, sigmoid, relu, hard_sigmoid, linear)");
  NABLA_CHECK(opts_.dropout >= 0 && opts_.dropout < 1, who, ": dropout must be in [0, 1), got ", opts_.dropout);
  NABLA_CHECK(opts_.recurrent_dropout >= 0 && opts_.recurrent_dropout < 1, who,
              ": recurrent_dropout must be in [0, 1), got ", opts_.recurrent_dropout);
  NABLA_CHECK(cell != RecurrentCell::gru || opts_.reset_after, who,
              ": reset_after=False (Keras 2's GRU) is not supported; nabla runs Keras 3's reset_after=True");
  if (opts_.seed) gen_.emplace(uint64_t(*opts_.seed));
  declared_input_shape_ = opts_.input_shape;
}

void RecurrentLayer::build(const std::vector<Shape>& in) {
  NABLA_CHECK_SHAPE(!in.empty() && in[0].size() == 3, "layer '", name(), "' (", type(),
                    ") expects inputs of shape (batch, timesteps, features), got ",
                    in.empty() ? std::string("nothing") : in[0].str());
  const int64_t f = in[0][2], gh = gates(cell_) * units_;
  NABLA_CHECK_SHAPE(f > 0, "layer '", name(), "' (", type(), ") needs a known feature axis, got shape ", in[0].str());
  add_weight("kernel", Shape{f, gh}, opts_.kernel_initializer, true, f32, opts_.kernel_regularizer);
  add_weight("recurrent_kernel", Shape{units_, gh}, opts_.recurrent_initializer, true, f32,
             opts_.recurrent_regularizer);
  if (opts_.use_bias) {
    Tensor b = add_weight("bias", cell_ == RecurrentCell::gru ? Shape{2, gh} : Shape{gh}, opts_.bias_initializer,
                          true, f32, opts_.bias_regularizer);
    if (cell_ == RecurrentCell::lstm && opts_.unit_forget_bias) {  // Keras: ones for the forget gate (i, f, c, o)
      NoGradGuard ng;
      b.detach().slice(0, units_, 2 * units_).fill_(1.0);
    }
  }
}

Shape RecurrentLayer::compute_output_shape(const std::vector<Shape>& in) const {
  NABLA_CHECK_SHAPE(!in.empty() && in[0].size() == 3, "layer '", name(), "' (", type(),
                    ") expects inputs of shape (batch, timesteps, features), got ",
                    in.empty() ? std::string("nothing") : in[0].str());
  NABLA_CHECK_SHAPE(in.size() <= size_t(1 + num_states()), "layer '", name(), "' (", type(), ") takes the input and ",
                    num_states(), " initial state(s), got ", in.size(), " inputs");
  for (size_t i = 1; i < in.size(); ++i)
    NABLA_CHECK_SHAPE(in[i].size() == 2 && in[i][1] == units_, "layer '", name(), "' (", type(),
                      "): initial state ", i - 1, " must have shape (batch, ", units_, "), got ", in[i].str());
  if (built()) {
    const int64_t f = kernel().size(0);
    NABLA_CHECK_SHAPE(in[0][2] == f, "layer '", name(), "' (", type(), ") expects inputs with ", f,
                      " features (shape (None, timesteps, ", f, ")), got shape ", in[0].str());
  }
  return opts_.return_sequences ? Shape{in[0][0], in[0][1], units_} : Shape{in[0][0], units_};
}

std::vector<Tensor> RecurrentLayer::run(const Tensor& x0, const std::vector<Tensor>& init, const Tensor& mask,
                                        bool training, bool all_states) {
  NABLA_CHECK(all_states || !opts_.return_state, "layer '", name(), "' (", type(),
              ") has return_state=True, which gives several outputs: call call_with_states() (a layer of a nabla "
              "model returns one tensor)");
  NABLA_CHECK_SHAPE(x0.dim() == 3 && x0.size(2) == kernel().size(0), "layer '", name(), "' (", type(),
                    ") expects inputs of shape (None, timesteps, ", kernel().size(0), "), got shape ",
                    x0.shape().str());
  NABLA_CHECK(init.empty() || int(init.size()) == num_states(), "layer '", name(), "' (", type(), ") takes ",
              num_states(), " initial state(s), got ", init.size());
  if (mask.defined()) check_mask_shape(x0, mask, "layer '" + name() + "' (" + type() + ")");
  Tensor x = x0.dtype() == f32 || x0.dtype() == f64 ? x0 : x0.to(f32);
  const int64_t n = x.size(0), steps = x.size(1);
  Generator* gen = gen_ ? &*gen_ : nullptr;
  if (training && opts_.dropout > 0)  // one mask per sequence and feature, the same at every step (Keras)
    x = x * dropout_mask(Shape{n, 1, x.size(2)}, opts_.dropout, x.dtype(), gen);
  Tensor rd;
  if (training && opts_.recurrent_dropout > 0)
    rd = dropout_mask(Shape{n, units_}, opts_.recurrent_dropout, x.dtype(), gen);
  Tensor w = kernel(), u = recurrent_kernel(), b = bias();
  if (x.dtype() != w.dtype()) x = x.to(w.dtype());
  RecurrentArgs args{opts_.activation, opts_.recurrent_activation, opts_.go_backwards, opts_.zero_output_for_mask};
  Tensor h0 = init.size() > 0 ? init[0] : Tensor(), c0 = init.size() > 1 ? init[1] : Tensor();
  Tensor y = recurrent(cell_, x, w, u, b, h0, c0, mask, rd, args);
  std::vector<Tensor> r;
  r.push_back(opts_.return_sequences ? slice(y, 1, 0, steps) : select(y, 1, steps - 1));
  if (all_states)
    for (int s = 0; s < num_states(); ++s) r.push_back(select(y, 1, steps + s));
  return r;
}

Tensor RecurrentLayer::call(const Tensor& x, bool training) { return run(x, {}, Tensor(), training, false)[0]; }

Tensor RecurrentLayer::call(const std::vector<Tensor>& xs, bool training) {
  NABLA_CHECK(!xs.empty(), "layer '", name(), "' (", type(), ") got no inputs");
  return run(xs[0], std::vector<Tensor>(xs.begin() + 1, xs.end()), Tensor(), training, false)[0];
}

Tensor RecurrentLayer::call_masked(const Tensor& x, const Tensor& mask, bool training) {
  return run(x, {}, mask, training, false)[0];
}

std::vector<Tensor> RecurrentLayer::call_with_states(const Tensor& x, const std::vector<Tensor>& initial_state,
                                                     const Tensor& mask, bool training) {
  Shape s = x.shape();
  if (s.size() > 0) s[0] = -1;
  ensure_built({s});
  autograd::NameScope scope(name());
  return run(x, initial_state, mask, training, true);
}

Tensor RecurrentLayer::compute_mask(const std::vector<Tensor>&, const std::vector<Tensor>& masks) const {
  if (!opts_.return_sequences || masks.empty()) return Tensor();
  return masks[0];
}

nlohmann::json RecurrentLayer::get_config() const {
  nlohmann::json c = Layer::get_config();
  c["return_sequences"] = opts_.return_sequences;
  c["return_state"] = opts_.return_state;
  c["go_backwards"] = opts_.go_backwards;
  c["stateful"] = false;
  c["unroll"] = opts_.unroll;
  c["zero_output_for_mask"] = opts_.zero_output_for_mask;
  c["units"] = units_;
  c["activation"] = serialize_activation(opts_.activation);
  if (cell_ != RecurrentCell::simple_rnn) c["recurrent_activation"] = serialize_activation(opts_.recurrent_activation);
  c["use_bias"] = opts_.use_bias;
  c["kernel_initializer"] = serialize_initializer(opts_.kernel_initializer);
  c["recurrent_initializer"] = serialize_initializer(opts_.recurrent_initializer);
  c["bias_initializer"] = serialize_initializer(opts_.bias_initializer);
  if (cell_ == RecurrentCell::lstm) c["unit_forget_bias"] = opts_.unit_forget_bias;
  c["kernel_regularizer"] = serialize_regularizer(opts_.kernel_regularizer);
  c["recurrent_regularizer"] = serialize_regularizer(opts_.recurrent_regularizer);
  c["bias_regularizer"] = serialize_regularizer(opts_.bias_regularizer);
  c["activity_regularizer"] = nullptr;
  c["kernel_constraint"] = nullptr;
  c["recurrent_constraint"] = nullptr;
  c["bias_constraint"] = nullptr;
  c["dropout"] = opts_.dropout;
  c["recurrent_dropout"] = opts_.recurrent_dropout;
  if (cell_ == RecurrentCell::gru) c["reset_after"] = opts_.reset_after;
  if (cell_ != RecurrentCell::simple_rnn) c["seed"] = opts_.seed ? nlohmann::json(*opts_.seed) : nlohmann::json();
  return c;
}

RecurrentOptions RecurrentLayer::options_from_config(const nlohmann::json& c, const std::string& who) {
  for (const char* k : {"activity_regularizer", "kernel_constraint", "recurrent_constraint", "bias_constraint"})
    saving::require_null(c, k, who);
  NABLA_CHECK(!saving::get_bool(c, "stateful", false, who), who,
              ": stateful=True is not supported (nabla's recurrent layers start each batch from the initial state)");
  RecurrentOptions o;
  o.return_sequences = saving::get_bool(c, "return_sequences", false, who);
  o.return_state = saving::get_bool(c, "return_state", false, who);
  o.go_backwards = saving::get_bool(c, "go_backwards", false, who);
  o.unroll = saving::get_bool(c, "unroll", false, who);
  o.zero_output_for_mask = saving::get_bool(c, "zero_output_for_mask", false, who);
  if (c.contains("activation")) o.activation = deserialize_activation(c["activation"], who);
  if (c.contains("recurrent_activation"))
    o.recurrent_activation = deserialize_activation(c["recurrent_activation"], who);
  o.use_bias = saving::get_bool(c, "use_bias", true, who);
  if (c.contains("kernel_initializer")) o.kernel_initializer = deserialize_initializer(c["kernel_initializer"]);
  if (c.contains("recurrent_initializer"))
    o.recurrent_initializer = deserialize_initializer(c["recurrent_initializer"]);
  if (c.contains("bias_initializer")) o.bias_initializer = deserialize_initializer(c["bias_initializer"]);
  o.unit_forget_bias = saving::get_bool(c, "unit_forget_bias", true, who);
  o.reset_after = saving::get_bool(c, "reset_after", true, who);
  if (c.contains("kernel_regularizer")) o.kernel_regularizer = deserialize_regularizer(c["kernel_regularizer"]);
  if (c.contains("recurrent_regularizer"))
    o.recurrent_regularizer = deserialize_regularizer(c["recurrent_regularizer"]);
  if (c.contains("bias_regularizer")) o.bias_regularizer = deserialize_regularizer(c["bias_regularizer"]);
  o.dropout = saving::get_double(c, "dropout", 0.0, who);
  o.recurrent_dropout = saving::get_double(c, "recurrent_dropout", 0.0, who);
  o.seed = saving::get_optional_int(c, "seed", who);
  return o;
}

int64_t RecurrentLayer::units_from_config(const nlohmann::json& c, const std::string& who) {
  NABLA_CHECK(c.contains("units"), who, ": \"units\" is required");
  return saving::get_int(c, "units", 0, who);
}

}  // namespace nabla::nn
