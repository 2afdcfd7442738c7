#include "nabla/nn/attention.h"

#include <nlohmann/json.hpp>

#include "nabla/autograd/grad_mode.h"
#include "nabla/autograd/node.h"
#include "nabla/nn/masking.h"
#include "nabla/nn/serialization.h"
#include "nabla/ops/activations.h"
#include "nabla/ops/attention.h"
#include "nabla/ops/dropout.h"
#include "nabla/ops/math.h"
#include "nabla/ops/reduce.h"
#include "nabla/ops/shape_ops.h"

namespace nabla::nn {

Attention::Attention(AttentionOptions opts) : Layer("Attention"), opts_(std::move(opts)) {
  supports_masking_ = true;  // the output carries the query's mask
  NABLA_CHECK(opts_.score_mode == "dot" || opts_.score_mode == "concat",
              "Attention: score_mode must be 'dot' or 'concat', got '", opts_.score_mode, "'");
  NABLA_CHECK(opts_.dropout >= 0 && opts_.dropout < 1, "Attention: dropout must be in [0, 1), got ", opts_.dropout);
  if (opts_.seed) gen_.emplace(*opts_.seed);
}

void Attention::build(const std::vector<Shape>& in) {
  compute_output_shape(in);
  if (opts_.use_scale) add_weight("scale", Shape{}, "ones");
  if (opts_.score_mode == "concat") add_weight("concat_score_weight", Shape{}, "ones");
}

Shape Attention::compute_output_shape(const std::vector<Shape>& in) const {
  const std::string who = "layer '" + name() + "' (Attention)";
  NABLA_CHECK_SHAPE(in.size() == 2 || in.size() == 3, who, " takes [query, value] or [query, value, key], got ",
                    in.size(), " inputs");
  const Shape& q = in[0];
  const Shape& v = in[1];
  const Shape& k = in.size() > 2 ? in[2] : in[1];
  NABLA_CHECK_SHAPE(q.size() == 3 && v.size() == 3 && k.size() == 3, who,
                    " expects query, value and key of shape [batch, time, dim], got ", q.str(), ", ", v.str(),
                    " and ", k.str());
  NABLA_CHECK_SHAPE(q[2] == k[2], who, ": query of shape ", q.str(), " and key of shape ", k.str(),
                    " must have the same last axis");
  NABLA_CHECK_SHAPE(v[1] == k[1], who, ": value of shape ", v.str(), " and key of shape ", k.str(),
                    " must have the same number of steps");
  return Shape{q[0], q[1], v[2]};
}

std::pair<Tensor, Tensor> Attention::attend(const std::vector<Tensor>& xs, const std::vector<Tensor>& masks,
                                            bool use_causal_mask, bool training) {
  std::vector<Shape> shapes;
  for (const Tensor& x : xs) {
    Shape s = x.shape();
    if (s.size()) s[0] = -1;
    shapes.push_back(s);
  }
  ensure_built(shapes);
  compute_output_shape(shapes);
  const Tensor& q = xs[0];
  const Tensor& v = xs[1];
  const Tensor& k = xs.size() > 2 ? xs[2] : xs[1];
  Tensor scores;
  if (opts_.score_mode == "dot") {
    scores = batch_matmul(q, k, false, true);
    if (opts_.use_scale) scores = mul(scores, weight("scale"));
  } else {
    Tensor sum_in = add(unsqueeze(q, 2), unsqueeze(k, 1));  // [B, Tq, Tv, dim]
    if (opts_.use_scale) sum_in = mul(sum_in, weight("scale"));
    scores = mul(sum(tanh(sum_in), {-1}), weight("concat_score_weight"));
  }
  const Tensor q_mask = masks.size() > 0 ? masks[0] : Tensor();
  const Tensor v_mask = masks.size() > 1 ? masks[1] : Tensor();
  Tensor mask;
  {
    NoGradGuard ng;
    const int64_t b = q.size(0), tq = q.size(1), tv = v.size(1);
    if (v_mask.defined()) mask = reshape(mask_as(v_mask, u8).to(f32), Shape{b, 1, tv});
    if (use_causal_mask) {
      Tensor c = Tensor::zeros(Shape{1, tq, tv}, f32);
      float* p = c.data<float>();
      for (int64_t i = 0; i < tq; ++i)
        for (int64_t j = 0; j <= i && j < tv; ++j) p[i * tv + j] = 1;
      mask = mask.defined() ? mul(mask, c) : c;
    }
  }
  Tensor weights = masked_softmax(scores, mask);
  Tensor dropped = dropout(weights, opts_.dropout, training && opts_.dropout > 0, gen_ ? &*gen_ : nullptr);
  Tensor out = batch_matmul(dropped, v);
  if (q_mask.defined()) {
    Tensor m;
    {
      NoGradGuard ng;
      m = reshape(mask_as(q_mask, u8).to(out.dtype()), Shape{q.size(0), q.size(1), 1});
    }
    out = mul(out, m);
  }
  return {out, weights};
}

Tensor Attention::call(const std::vector<Tensor>& xs, bool training) { return attend(xs, {}, false, training).first; }

Tensor Attention::call_masked_inputs(const std::vector<Tensor>& xs, const std::vector<Tensor>& masks, bool training) {
  return attend(xs, masks, false, training).first;
}

Tensor Attention::call_with_kwargs(const std::vector<Tensor>& xs, const std::vector<Tensor>& masks,
                                   const nlohmann::json& kwargs, bool training) {
  bool causal = false;
  for (auto it = kwargs.begin(); it != kwargs.end(); ++it) {
    if (it.key() == "use_causal_mask" && it->is_boolean()) {
      causal = it->get<bool>();
    } else if (it.key() == "return_attention_scores" && it->is_boolean() && !it->get<bool>()) {
    } else {
      throw ValueError(detail::concat("layer '", name(), "' (Attention): unsupported call argument '", it.key(),
                                      "': ", it->dump(), " (known: use_causal_mask)"));
    }
  }
  return attend(xs, masks, causal, training).first;
}

std::pair<Tensor, Tensor> Attention::call_with_scores(const std::vector<Tensor>& xs, const std::vector<Tensor>& masks,
                                                      bool use_causal_mask, bool training) {
  autograd::NameScope scope(name().empty() ? "attention" : name());
  return attend(xs, masks, use_causal_mask, training);
}

Tensor Attention::compute_mask(const std::vector<Tensor>&, const std::vector<Tensor>& masks) const {
  return masks.empty() ? Tensor() : masks[0];
}

nlohmann::json Attention::get_config() const {
  nlohmann::json c = Layer::get_config();
  c["use_scale"] = opts_.use_scale;
  c["score_mode"] = opts_.score_mode;
  c["dropout"] = opts_.dropout;
  c["seed"] = opts_.seed ? nlohmann::json(*opts_.seed) : nlohmann::json(nullptr);
  return c;
}

std::shared_ptr<Attention> Attention::from_config(const nlohmann::json& c) {
  const std::string who = "Attention config";
  AttentionOptions o;
  o.use_scale = saving::get_bool(c, "use_scale", false, who);
  o.score_mode = saving::get_string(c, "score_mode", "dot", who);
  o.dropout = saving::get_double(c, "dropout", 0.0, who);
  if (auto s = saving::get_optional_int(c, "seed", who)) o.seed = uint64_t(*s);
  auto layer = std::make_shared<Attention>(std::move(o));
  layer->load_base_config(c);
  return layer;
}

}  // namespace nabla::nn

namespace nabla::layers {
std::shared_ptr<nn::Attention> Attention(nn::AttentionOptions opts) { return std::make_shared<nn::Attention>(std::move(opts)); }
}  // namespace nabla::layers
