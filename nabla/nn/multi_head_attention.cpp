#include "nabla/nn/multi_head_attention.h"

#include <cmath>
#include <nlohmann/json.hpp>

#include "nabla/autograd/grad_mode.h"
#include "nabla/autograd/node.h"
#include "nabla/nn/masking.h"
#include "nabla/nn/serialization.h"
#include "nabla/ops/attention.h"
#include "nabla/ops/dropout.h"
#include "nabla/ops/linear.h"
#include "nabla/ops/math.h"
#include "nabla/ops/shape_ops.h"

namespace nabla::nn {

namespace {

int64_t prod(const Shape& s, int from, int to) {
  int64_t n = 1;
  for (int i = from; i < to; ++i) n *= s[i];
  return n;
}

// x [B, T..., D] as [B * T, D] times a kernel [D, heads, dim] (+ bias [heads, dim]) -> [B * heads, T, dim]:
// Keras's EinsumDense "abc,cde->abde" followed by the heads moved next to the batch for the batched GEMMs.
Tensor project_heads(const Tensor& x, int64_t b, int64_t t, const Tensor& kernel, const Tensor& bias) {
  const int64_t d = kernel.size(0), h = kernel.size(1), k = kernel.size(2);
  Tensor y = linear(reshape(x, Shape{b * t, d}), reshape(kernel, Shape{d, h * k}),
                    bias.defined() ? reshape(bias, Shape{h * k}) : Tensor());
  return reshape(permute(reshape(y, Shape{b, t, h, k}), {0, 2, 1, 3}), Shape{b * h, t, k});
}

// A mask as float 0/1 for combining by products (nonzero = attend).
Tensor as_f32(const Tensor& m) { return mask_as(m, u8).to(f32); }

}  // namespace

MultiHeadAttention::MultiHeadAttention(int64_t num_heads, int64_t key_dim, MultiHeadAttentionOptions opts)
    : Layer("MultiHeadAttention"), num_heads_(num_heads), key_dim_(key_dim), opts_(std::move(opts)) {
  supports_masking_ = true;  // the output carries the query's mask
  NABLA_CHECK(num_heads > 0, "MultiHeadAttention: num_heads must be positive, got ", num_heads);
  NABLA_CHECK(key_dim > 0, "MultiHeadAttention: key_dim must be positive, got ", key_dim);
  value_dim_ = opts_.value_dim.value_or(key_dim);
  NABLA_CHECK(value_dim_ > 0, "MultiHeadAttention: value_dim must be positive, got ", value_dim_);
  NABLA_CHECK(opts_.dropout >= 0 && opts_.dropout < 1, "MultiHeadAttention: dropout must be in [0, 1), got ",
              opts_.dropout);
  NABLA_CHECK(!opts_.output_shape || *opts_.output_shape > 0, "MultiHeadAttention: output_shape must be positive, got ",
              opts_.output_shape.value_or(0));
  if (opts_.seed) gen_.emplace(*opts_.seed);
}

void MultiHeadAttention::build(const std::vector<Shape>& in) {
  compute_output_shape(in);  // checks the shapes
  const Shape& q = in[0];
  const Shape& v = in[1];
  const Shape& k = in.size() > 2 ? in[2] : in[1];
  const int64_t out = opts_.output_shape.value_or(q.back());
  // EinsumDense's fans are those of the 2-d product ([features, heads * dim]), not a convolution's, so each
  // kernel is drawn as that matrix (Keras 3 passes input_axes/output_axes to the initializer for the same reason).
  auto dense = [&](const std::string& name, Shape kshape, Shape bshape, int64_t fan_in) {
    Tensor w = add_weight(name + "/kernel", kshape, "zeros", true, f32, opts_.kernel_regularizer);
    Tensor flat = make_view(w.detach(), Shape{fan_in, w.numel() / fan_in}, Shape{w.numel() / fan_in, 1}, 0);
    opts_.kernel_initializer(flat);
    if (opts_.use_bias) add_weight(name + "/bias", bshape, opts_.bias_initializer, true, f32, opts_.bias_regularizer);
  };
  dense("query_dense", Shape{q.back(), num_heads_, key_dim_}, Shape{num_heads_, key_dim_}, q.back());
  dense("key_dense", Shape{k.back(), num_heads_, key_dim_}, Shape{num_heads_, key_dim_}, k.back());
  dense("value_dense", Shape{v.back(), num_heads_, value_dim_}, Shape{num_heads_, value_dim_}, v.back());
  dense("output_dense", Shape{num_heads_, value_dim_, out}, Shape{out}, num_heads_ * value_dim_);
}

Shape MultiHeadAttention::compute_output_shape(const std::vector<Shape>& in) const {
  const std::string who = "layer '" + name() + "' (MultiHeadAttention)";
  NABLA_CHECK_SHAPE(in.size() == 2 || in.size() == 3, who, " takes [query, value] or [query, value, key], got ",
                    in.size(), " inputs");
  const Shape& q = in[0];
  const Shape& v = in[1];
  const Shape& k = in.size() > 2 ? in[2] : in[1];
  NABLA_CHECK_SHAPE(q.size() >= 3 && v.size() == q.size() && k.size() == q.size(), who,
                    " expects query, value and key of one rank >= 3 ([batch, time..., features]), got ", q.str(),
                    ", ", v.str(), " and ", k.str());
  for (int d = 1; d + 1 < v.size(); ++d)
    NABLA_CHECK_SHAPE(v[d] == k[d], who, ": value of shape ", v.str(), " and key of shape ", k.str(),
                      " must have the same sequence axes");
  if (!opts_.attention_axes.empty()) {
    // Only the default is implemented; accept it when spelled out (Keras writes [1] for rank-3 inputs).
    std::vector<int64_t> dflt;
    for (int d = 1; d + 1 < q.size(); ++d) dflt.push_back(d);
    std::vector<int64_t> given;
    for (int64_t a : opts_.attention_axes) given.push_back(a < 0 ? a + q.size() : a);
    NABLA_CHECK_SHAPE(given == dflt, who, ": attention_axes ", saving::json(opts_.attention_axes).dump(),
                      " on inputs of rank ", q.size(), " is not supported; nabla attends over all the axes between "
                      "batch and features (Keras's default, ", saving::json(dflt).dump(), ")");
  }
  if (built()) {
    auto expect = [&](const char* what, const std::string& w, int64_t got) {
      int64_t want = weight(w).size(0);
      NABLA_CHECK_SHAPE(got == want, who, " was built for ", what, " features ", want, ", got ", got);
    };
    expect("query", "query_dense/kernel", q.back());
    expect("value", "value_dense/kernel", v.back());
    expect("key", "key_dense/kernel", k.back());
  }
  Shape out = q;
  out[out.size() - 1] = opts_.output_shape.value_or(q.back());
  return out;
}

std::pair<Tensor, Tensor> MultiHeadAttention::attend(const Tensor& query, const Tensor& value, const Tensor& key0,
                                                     const AttentionCallArgs& args, bool want_scores) {
  const Tensor& key = key0.defined() ? key0 : value;
  std::vector<Shape> shapes;
  for (const Tensor* t : {&query, &value, &key}) {
    Shape s = t->shape();
    if (s.size()) s[0] = -1;
    shapes.push_back(s);
  }
  Shape out_shape = compute_output_shape(shapes);
  const Shape& qs = query.shape();
  const Shape& vs = value.shape();
  NABLA_CHECK_SHAPE(vs[0] == qs[0] && key.size(0) == qs[0], "layer '", name(), "' (MultiHeadAttention): query, value "
                    "and key have batch sizes ", qs[0], ", ", vs[0], " and ", key.size(0));
  const int64_t b = qs[0], tq = prod(qs, 1, qs.size() - 1), tv = prod(vs, 1, vs.size() - 1), h = num_heads_;
  auto opt = [&](const std::string& n) { return opts_.use_bias ? weight(n) : Tensor(); };

  // The attention mask [B, Tq, Tv] (Keras's _compute_attention_mask), as float 0/1 products; undefined if none.
  Tensor mask;
  {
    NoGradGuard ng;
    auto both = [&](const Tensor& m) { mask = mask.defined() ? mul(mask, m) : m; };
    auto flat = [&](const Tensor& m, int64_t t, const char* what) {
      NABLA_CHECK_SHAPE(m.numel() == b * t, "layer '", name(), "' (MultiHeadAttention): ", what, " of shape ",
                        m.shape().str(), " does not match its input's [batch, time] of ", b, " x ", t);
      return reshape(as_f32(m), Shape{b, t});
    };
    if (args.query_mask.defined()) both(reshape(flat(args.query_mask, tq, "query mask"), Shape{b, tq, 1}));
    if (args.value_mask.defined()) both(reshape(flat(args.value_mask, tv, "value mask"), Shape{b, 1, tv}));
    if (args.key_mask.defined() && key0.defined())
      both(reshape(flat(args.key_mask, tv, "key mask"), Shape{b, 1, tv}));
    if (args.use_causal_mask) {
      Tensor c = Tensor::zeros(Shape{1, tq, tv}, f32);
      float* p = c.data<float>();
      for (int64_t i = 0; i < tq; ++i)
        for (int64_t j = 0; j <= i && j < tv; ++j) p[i * tv + j] = 1;  // row i attends to columns <= i
      both(c);
    }
    if (args.attention_mask.defined()) {
      Tensor m = as_f32(args.attention_mask);
      if (m.dim() == 3 && m.size(1) * m.size(2) == tq * tv) m = reshape(m, Shape{m.size(0), tq, tv});
      both(m);
    }
  }

  Tensor q = project_heads(query, b, tq, weight("query_dense/kernel"), opt("query_dense/bias"));
  Tensor k = project_heads(key, b, tv, weight("key_dense/kernel"), opt("key_dense/bias"));
  Tensor v = project_heads(value, b, tv, weight("value_dense/kernel"), opt("value_dense/bias"));
  Tensor scores = reshape(batch_matmul(q, k, false, true), Shape{b, h, tq, tv});
  // [B, Tq, Tv] masks apply to every head: [B, 1, Tq, Tv].
  Tensor weights = masked_softmax(scores, mask.defined() && mask.dim() == 3 ? unsqueeze(mask, 1) : mask,
                                  1.0 / std::sqrt(double(key_dim_)));
  Tensor dropped = dropout(weights, opts_.dropout, args.training && opts_.dropout > 0, gen_ ? &*gen_ : nullptr);
  Tensor o = batch_matmul(reshape(dropped, Shape{b * h, tq, tv}), v);  // [B * H, Tq, V]
  o = reshape(permute(reshape(o, Shape{b, h, tq, value_dim_}), {0, 2, 1, 3}), Shape{b * tq, h * value_dim_});
  const Tensor wo = weight("output_dense/kernel");
  Tensor y = linear(o, reshape(wo, Shape{h * value_dim_, wo.size(2)}), opt("output_dense/bias"));
  Shape ys = out_shape;
  ys[0] = b;
  for (int d = 1; d + 1 < ys.size(); ++d) ys[d] = qs[d];
  return {reshape(y, ys), want_scores ? weights : Tensor()};
}

Tensor MultiHeadAttention::call(const Tensor& query, const Tensor& value, const Tensor& key,
                                const AttentionCallArgs& args) {
  return call_with_scores(query, value, key, args).first;
}

std::pair<Tensor, Tensor> MultiHeadAttention::call_with_scores(const Tensor& query, const Tensor& value,
                                                               const Tensor& key, const AttentionCallArgs& args) {
  std::vector<Tensor> xs{query, value};
  if (key.defined()) xs.push_back(key);
  std::vector<Shape> shapes;
  for (const Tensor& x : xs) {
    Shape s = x.shape();
    if (s.size()) s[0] = -1;
    shapes.push_back(s);
  }
  ensure_built(shapes);
  autograd::NameScope scope(name());
  return attend(query, value, key, args, true);
}

Tensor MultiHeadAttention::call(const std::vector<Tensor>& xs, bool training) {
  return call_masked_inputs(xs, {}, training);
}

Tensor MultiHeadAttention::call_masked_inputs(const std::vector<Tensor>& xs, const std::vector<Tensor>& masks,
                                              bool training) {
  return call_with_kwargs(xs, masks, nlohmann::json::object(), training);
}

Tensor MultiHeadAttention::call_with_kwargs(const std::vector<Tensor>& xs, const std::vector<Tensor>& masks,
                                            const nlohmann::json& kwargs, bool training) {
  NABLA_CHECK(xs.size() == 2 || xs.size() == 3, "layer '", name(), "' (MultiHeadAttention) takes [query, value] or "
              "[query, value, key], got ", xs.size(), " inputs");
  AttentionCallArgs args;
  args.training = training;
  for (auto it = kwargs.begin(); it != kwargs.end(); ++it) {
    if (it.key() == "use_causal_mask" && it->is_boolean()) {
      args.use_causal_mask = it->get<bool>();
    } else if (it.key() == "return_attention_scores" && it->is_boolean()) {
      NABLA_CHECK(!it->get<bool>(), "layer '", name(), "' (MultiHeadAttention): return_attention_scores in a graph "
                  "is not supported (nabla's layers have one output); call call_with_scores() directly");
    } else {
      throw ValueError(detail::concat("layer '", name(), "' (MultiHeadAttention): unsupported call argument '",
                                      it.key(), "': ", it->dump(), " (known: use_causal_mask)"));
    }
  }
  if (masks.size() > 0) args.query_mask = masks[0];
  if (masks.size() > 1) args.value_mask = masks[1];
  if (masks.size() > 2) args.key_mask = masks[2];
  return attend(xs[0], xs[1], xs.size() > 2 ? xs[2] : Tensor(), args, false).first;
}

Tensor MultiHeadAttention::compute_mask(const std::vector<Tensor>&, const std::vector<Tensor>& masks) const {
  return masks.empty() ? Tensor() : masks[0];  // the query's
}

nlohmann::json MultiHeadAttention::build_config() const {
  const auto& s = built_input_shapes();
  nlohmann::json d = {{"query_shape", saving::shape_to_json(s[0])}, {"value_shape", saving::shape_to_json(s[1])},
                      {"key_shape", s.size() > 2 ? saving::shape_to_json(s[2]) : nlohmann::json(nullptr)}};
  return {{"shapes_dict", d}};
}

nlohmann::json MultiHeadAttention::get_config() const {
  nlohmann::json c = Layer::get_config();
  c["num_heads"] = num_heads_;
  c["key_dim"] = key_dim_;
  c["value_dim"] = value_dim_;
  c["dropout"] = opts_.dropout;
  c["use_bias"] = opts_.use_bias;
  c["use_gate"] = false;
  // Keras 3.15 keeps output_shape as a tuple (written as a list).
  c["output_shape"] = opts_.output_shape ? nlohmann::json::array({*opts_.output_shape}) : nlohmann::json(nullptr);
  if (!opts_.attention_axes.empty()) {
    c["attention_axes"] = opts_.attention_axes;
  } else if (built()) {  // Keras writes the axes it resolved at build
    std::vector<int64_t> axes;
    for (int d = 1; d + 1 < built_input_shapes()[0].size(); ++d) axes.push_back(d);
    c["attention_axes"] = axes;
  } else {
    c["attention_axes"] = nullptr;
  }
  c["sliding_window"] = nullptr;
  c["kernel_initializer"] = serialize_initializer(opts_.kernel_initializer);
  c["bias_initializer"] = serialize_initializer(opts_.bias_initializer);
  c["kernel_regularizer"] = serialize_regularizer(opts_.kernel_regularizer);
  c["bias_regularizer"] = serialize_regularizer(opts_.bias_regularizer);
  c["activity_regularizer"] = nullptr;
  c["kernel_constraint"] = nullptr;
  c["bias_constraint"] = nullptr;
  c["seed"] = opts_.seed ? nlohmann::json(*opts_.seed) : nlohmann::json(nullptr);
  return c;
}

std::shared_ptr<MultiHeadAttention> MultiHeadAttention::from_config(const nlohmann::json& c) {
  const std::string who = "MultiHeadAttention config";
  for (const char* k : {"activity_regularizer", "kernel_constraint", "bias_constraint", "sliding_window"})
    saving::require_null(c, k, who);
  NABLA_CHECK(!saving::get_bool(c, "use_gate", false, who), who, ": use_gate is not supported");
  NABLA_CHECK(!c.contains("flash_attention") || c["flash_attention"].is_null() || c["flash_attention"].is_boolean(),
              who, ": flash_attention must be a boolean or null");  // a backend choice; the result is the same
  NABLA_CHECK(c.contains("num_heads") && c.contains("key_dim"), who, ": \"num_heads\" and \"key_dim\" are required");
  MultiHeadAttentionOptions o;
  o.value_dim = saving::get_optional_int(c, "value_dim", who);
  o.dropout = saving::get_double(c, "dropout", 0.0, who);
  o.use_bias = saving::get_bool(c, "use_bias", true, who);
  if (c.contains("output_shape") && !c["output_shape"].is_null()) {
    auto s = saving::get_ints(c, "output_shape", {}, who);
    NABLA_CHECK(s.size() == 1, who, ": output_shape ", c["output_shape"].dump(),
                " is not supported; nabla projects to one feature axis (an integer)");
    o.output_shape = s[0];
  }
  if (c.contains("attention_axes") && !c["attention_axes"].is_null())
    o.attention_axes = saving::get_ints(c, "attention_axes", {}, who);
  if (c.contains("kernel_initializer")) o.kernel_initializer = deserialize_initializer(c["kernel_initializer"]);
  if (c.contains("bias_initializer")) o.bias_initializer = deserialize_initializer(c["bias_initializer"]);
  if (c.contains("kernel_regularizer")) o.kernel_regularizer = deserialize_regularizer(c["kernel_regularizer"]);
  if (c.contains("bias_regularizer")) o.bias_regularizer = deserialize_regularizer(c["bias_regularizer"]);
  if (auto s = saving::get_optional_int(c, "seed", who)) o.seed = uint64_t(*s);
  auto layer = std::make_shared<MultiHeadAttention>(saving::get_int(c, "num_heads", 1, who),
                                                    saving::get_int(c, "key_dim", 1, who), std::move(o));
  layer->load_base_config(c);
  return layer;
}

}  // namespace nabla::nn

namespace nabla::layers {
std::shared_ptr<nn::MultiHeadAttention> MultiHeadAttention(int64_t num_heads, int64_t key_dim,
                                                           nn::MultiHeadAttentionOptions opts) {
  return std::make_shared<nn::MultiHeadAttention>(num_heads, key_dim, std::move(opts));
}
}  // namespace nabla::layers
