#include "nabla/lite/quantize.h"

#include <algorithm>
#include <cmath>
#include <iostream>
#include <limits>
#include <map>
#include <nlohmann/json.hpp>

#include "nabla/autograd/grad_mode.h"
#include "nabla/core/error.h"
#include "nabla/nn/batch_normalization.h"
#include "nabla/nn/conv2d.h"
#include "nabla/nn/dense.h"
#include "nabla/train/functional.h"
#include "nabla/train/progress.h"
#include "nabla/train/sequential.h"

namespace nabla::lite {
namespace {

using json = nlohmann::json;

// The model as a list of layer applications in topological order; input -1 is the model's input.
struct GNode {
  nn::LayerPtr layer;
  std::vector<int> inputs;
};
struct Graph {
  std::vector<GNode> nodes;
  int output = -1;
  std::string input_name = "input_layer";
};

Graph graph_of(const Model& model) {
  Graph g;
  if (auto* s = dynamic_cast<const Sequential*>(&model)) {
    int prev = -1;
    for (const auto& l : s->layers()) {
      if (l->type() == "InputLayer") {
        g.input_name = l->name();
        continue;
      }
      g.nodes.push_back({l, {prev}});
      prev = int(g.nodes.size()) - 1;
    }
    NABLA_CHECK(prev >= 0, "lite::quantize: model '", model.name(), "' has no layers");
    g.output = prev;
    return g;
  }
  auto* f = dynamic_cast<const Functional*>(&model);
  NABLA_CHECK(f != nullptr, "lite::quantize: model '", model.name(),
              "' is neither Sequential nor functional; quantize needs its graph");
  NABLA_CHECK(f->inputs().size() == 1 && f->outputs().size() == 1, "lite::quantize: model '", model.name(),
              "' has ", f->inputs().size(), " inputs and ", f->outputs().size(),
              " outputs; nabla lite runs models with one of each");
  const functional::Node* input = f->inputs()[0].node().get();
  g.input_name = f->inputs()[0].name();
  std::map<const functional::Node*, int> index;
  index[input] = -1;
  // Depth-first post-order from the output: each node after its inputs.
  std::vector<std::pair<const functional::Node*, size_t>> stack{{f->outputs()[0].node().get(), 0}};
  while (!stack.empty()) {
    auto& [n, next] = stack.back();
    if (index.count(n)) {
      stack.pop_back();
      continue;
    }
    if (next < n->inputs.size()) {
      const functional::Node* in = n->inputs[next++].get();
      if (!index.count(in)) stack.push_back({in, 0});
      continue;
    }
    NABLA_CHECK(n->layer->type() != "InputLayer", "lite::quantize: model '", model.name(),
                "' reaches a second input '", n->layer->name(), "'");
    GNode gn{n->layer, {}};
    for (const auto& in : n->inputs) gn.inputs.push_back(index.at(in.get()));
    g.nodes.push_back(std::move(gn));
    index[n] = int(g.nodes.size()) - 1;
    stack.pop_back();
  }
  g.output = index.at(f->outputs()[0].node().get());
  NABLA_CHECK(g.output >= 0, "lite::quantize: model '", model.name(), "' outputs its input");
  return g;
}

std::vector<Tensor> forward(const Graph& g, const Tensor& x) {
  NoGradGuard ng;
  std::vector<Tensor> out(g.nodes.size());
  for (size_t i = 0; i < g.nodes.size(); ++i) {
    std::vector<Tensor> ins;
    for (int j : g.nodes[i].inputs) ins.push_back(j < 0 ? x : out[size_t(j)]);
    out[i] = ins.size() == 1 ? (*g.nodes[i].layer)(ins[0], false) : (*g.nodes[i].layer)(ins, false);
  }
  return out;
}

std::string activation_of(const nn::Layer& l) {
  const json c = l.get_config();
  if (l.type() == "ReLU") {
    const bool plain = c.value("max_value", json()).is_null() && c.value("negative_slope", 0.0) == 0.0 &&
                       c.value("threshold", 0.0) == 0.0;
    return plain ? "relu" : "ReLU with options";
  }
  if (!c.contains("activation")) return "";
  const json& a = c["activation"];
  return a.is_string() ? a.get<std::string>() : a.dump();
}

std::pair<int64_t, int64_t> pair_of(const json& j) {
  if (j.is_array() && j.size() == 2) return {j[0].get<int64_t>(), j[1].get<int64_t>()};
  return {j.get<int64_t>(), j.get<int64_t>()};
}

// Keras's "same" padding: the output is ceil(in / stride), the extra row/column goes at the bottom/right.
void set_window(QOp& op, const json& c, const char* size_key, const std::vector<int64_t>& in_shape) {
  auto [kh, kw] = pair_of(c.at(size_key));
  auto [sh, sw] = c.contains("strides") && !c["strides"].is_null() ? pair_of(c["strides"]) : std::pair{kh, kw};
  auto [dh, dw] = c.contains("dilation_rate") ? pair_of(c["dilation_rate"]) : std::pair<int64_t, int64_t>{1, 1};
  op.kh = int32_t(kh), op.kw = int32_t(kw), op.sh = int32_t(sh), op.sw = int32_t(sw);
  op.dh = int32_t(dh), op.dw = int32_t(dw);
  if (c.value("padding", "valid") == "same") {
    auto pad = [](int64_t in, int64_t k, int64_t s, int64_t d) {
      const int64_t out = (in + s - 1) / s;
      return std::max<int64_t>((out - 1) * s + (k - 1) * d + 1 - in, 0);
    };
    const int64_t ph = pad(in_shape[0], kh, sh, dh), pw = pad(in_shape[1], kw, sw, dw);
    op.pad_t = int32_t(ph / 2), op.pad_b = int32_t(ph - ph / 2);
    op.pad_l = int32_t(pw / 2), op.pad_r = int32_t(pw - pw / 2);
  }
}

std::vector<float> floats(const Tensor& t) { return t.detach().contiguous().to_vector<float>(); }

// A Dense/Conv2D whose weights are quantized once the input's scale is known.
struct WeightedPlan {
  size_t op;
  std::vector<float> w, b;  // output channel last; b empty: no bias
};

// Per tensor: min/max, then a histogram over [min, max].
struct Stats {
  float lo = std::numeric_limits<float>::infinity(), hi = -std::numeric_limits<float>::infinity();
  std::vector<double> hist;
  void range(const Tensor& t) {
    const Tensor c = t.detach().contiguous();
    const float* p = c.data<float>();
    for (int64_t i = 0; i < c.numel(); ++i) {
      if (!std::isfinite(p[i])) continue;
      lo = std::min(lo, p[i]);
      hi = std::max(hi, p[i]);
    }
  }
  void histogram(const Tensor& t, int bins) {
    if (hist.empty()) hist.assign(size_t(bins), 0.0);
    if (!(hi > lo)) return;
    const Tensor c = t.detach().contiguous();
    const float* p = c.data<float>();
    const double w = (double(hi) - lo) / bins;
    for (int64_t i = 0; i < c.numel(); ++i) {
      if (!std::isfinite(p[i])) continue;
      const int64_t b = std::clamp<int64_t>(int64_t((p[i] - lo) / w), 0, bins - 1);
      hist[size_t(b)] += 1;
    }
  }
};

QuantParams params_for(double lo, double hi) {
  lo = std::min(lo, 0.0);
  hi = std::max(hi, 0.0);
  if (!(hi > lo)) return {1.f, 0};
  const double s = (hi - lo) / 255.0;
  const int32_t z = int32_t(std::clamp(std::nearbyint(-lo / s), 0.0, 255.0));
  return {float(s), z};
}

// The squared error of quantizing the histogram's values (bin centres) with q.
double histogram_error(const Stats& st, QuantParams q) {
  const int bins = int(st.hist.size());
  const double w = (double(st.hi) - st.lo) / bins;
  double err = 0;
  for (int b = 0; b < bins; ++b) {
    if (st.hist[size_t(b)] == 0) continue;
    const double x = st.lo + (b + 0.5) * w;
    const double code = std::clamp(std::nearbyint(x / q.scale) + q.zero_point, 0.0, 255.0);
    const double d = q.scale * (code - q.zero_point) - x;
    err += st.hist[size_t(b)] * d * d;
  }
  return err;
}

// The value below which `frac` of the histogram's mass lies.
double quantile(const Stats& st, double frac) {
  double total = 0;
  for (double c : st.hist) total += c;
  const int bins = int(st.hist.size());
  const double w = (double(st.hi) - st.lo) / bins;
  double acc = 0;
  for (int b = 0; b < bins; ++b) {
    acc += st.hist[size_t(b)];
    if (acc >= frac * total) return st.lo + (b + 1) * w;
  }
  return st.hi;
}

std::pair<QuantParams, std::string> choose(const Stats& st, const QuantizeOptions& opts) {
  const QuantParams minmax = params_for(st.lo, st.hi);
  if (opts.calibration == "minmax" || !(st.hi > st.lo)) return {minmax, "minmax"};
  auto clipped = [&](double p) {
    const double lo = st.lo >= 0 ? 0.0 : quantile(st, 1 - p / 100);
    return params_for(lo, quantile(st, p / 100));
  };
  auto pname = [](double p) {
    std::string s = std::to_string(p);
    s.erase(s.find_last_not_of('0') + 1);
    if (s.back() == '.') s.pop_back();
    return "percentile " + s;
  };
  if (opts.calibration == "percentile") return {clipped(opts.percentile), pname(opts.percentile)};
  std::pair<QuantParams, std::string> best{minmax, "minmax"};
  double best_err = histogram_error(st, minmax);
  for (double p : {99.9, 99.99, 99.999}) {
    const QuantParams q = clipped(p);
    const double e = histogram_error(st, q);
    if (e < best_err) best_err = e, best = {q, pname(p)};
  }
  return best;
}

}  // namespace

QModel quantize(const Model& model, const data::Dataset& calibration, QuantizeOptions opts) {
  NABLA_CHECK(opts.calibration == "auto" || opts.calibration == "minmax" || opts.calibration == "percentile",
              "lite::quantize: calibration '", opts.calibration, "'; expected auto, minmax or percentile");
  NABLA_CHECK(opts.weight_bits == 7 || opts.weight_bits == 8, "lite::quantize: weight_bits ", opts.weight_bits,
              "; expected 7 or 8");
  NABLA_CHECK(opts.percentile > 50 && opts.percentile <= 100, "lite::quantize: percentile ", opts.percentile);
  NABLA_CHECK(opts.histogram_bins >= 16, "lite::quantize: histogram_bins ", opts.histogram_bins);
  const Graph g = graph_of(model);
  const size_t n = g.nodes.size();

  // One pass over the calibration data: a callback sees each batch's input and every node's output. Calibration
  // of a large model on many samples takes a while, so verbose=1 shows each pass's progress.
  const int passes = opts.calibration == "minmax" ? 1 : 2;
  int pass = 0;
  auto each_batch = [&](const std::function<void(const Tensor&, const std::vector<Tensor>&)>& f) {
    ++pass;
    if (opts.verbose > 0)
      std::cout << "Calibration pass " << pass << "/" << passes << " (" << (pass == 1 ? "ranges" : "histograms")
                << ")\n";
    const int64_t known = calibration.cardinality();
    ProgressBar bar(known >= 0 ? known : -1, opts.verbose, std::cout);
    int64_t batches = 0;
    for (const auto& e : calibration) {
      NABLA_CHECK(!e.empty(), "lite::quantize: an empty calibration element");
      const Tensor x = e[0].to(f32);
      f(x, forward(g, x));
      bar.update(++batches, {});
    }
    NABLA_CHECK(batches > 0, "lite::quantize: the calibration data is empty");
    bar.update(batches, {}, true);
  };
  // Shapes (without the batch axis) from the first batch.
  std::vector<std::vector<int64_t>> shapes(n);
  std::vector<int64_t> input_shape;
  {
    auto it = calibration.begin();
    NABLA_CHECK(it != std::default_sentinel, "lite::quantize: the calibration data is empty");
    const Tensor x = (*it)[0].to(f32);
    const auto outs = forward(g, x);
    auto drop_batch = [](const Shape& s) { return std::vector<int64_t>(s.begin() + 1, s.end()); };
    input_shape = drop_batch(x.shape());
    for (size_t i = 0; i < n; ++i) shapes[i] = drop_batch(outs[i].shape());
  }

  // Consumers per node (the model output counts as one), for fusing BatchNormalization and ReLU.
  std::vector<std::vector<int>> consumers(n);
  for (size_t i = 0; i < n; ++i)
    for (int j : g.nodes[i].inputs)
      if (j >= 0) consumers[size_t(j)].push_back(int(i));
  auto sole_consumer = [&](int i) -> int {
    if (i == g.output || consumers[size_t(i)].size() != 1) return -1;
    return consumers[size_t(i)][0];
  };

  QModel m;
  m.name = model.name();
  m.weight_bits = opts.weight_bits;
  m.tensors.push_back({g.input_name, input_shape, {}, false, ""});
  m.input = 0;
  std::vector<int> stat_node{-1};    // per tensor: the node whose output calibrates it (-1: the input)
  std::vector<int32_t> q_from{-1};   // per tensor: the tensor whose scale it keeps (pooling, reshape), or -1
  std::vector<int32_t> tensor_of(n, -1);
  std::vector<bool> absorbed(n, false);
  std::vector<WeightedPlan> weighted;
  int softmax_tensor = -1;
  auto in_tensor = [&](int j) { return j < 0 ? int32_t(0) : tensor_of[size_t(j)]; };
  auto add_tensor = [&](const std::string& name, std::vector<int64_t> shape, int stat, int32_t from) {
    m.tensors.push_back({name, std::move(shape), {}, false, ""});
    stat_node.push_back(stat);
    q_from.push_back(from);
    return int32_t(m.tensors.size() - 1);
  };

  for (size_t i = 0; i < n; ++i) {
    if (absorbed[i]) continue;
    const nn::Layer& L = *g.nodes[i].layer;
    const std::string& type = L.type();
    const std::string who = "lite::quantize: layer '" + L.name() + "' (" + type + ")";
    const json c = L.get_config();
    std::vector<int32_t> ins;
    for (int j : g.nodes[i].inputs) ins.push_back(in_tensor(j));
    QOp op;
    op.name = L.name();
    op.inputs = ins;
    if (type == "Dense" || type == "Conv2D") {
      std::string act = activation_of(L);
      if (act == "linear") act = "";
      WeightedPlan wp;
      wp.w = floats(L.weight("kernel"));
      const int64_t n_out = shapes[i].back();
      if (L.has_weight("bias")) wp.b = floats(L.weight("bias"));
      int last = int(i);
      std::vector<int> group{int(i)};
      // Conv/Dense -> BatchNormalization: fold the normalization into the weights and bias.
      if (act.empty()) {
        const int k = sole_consumer(last);
        if (k >= 0 && g.nodes[size_t(k)].layer->type() == "BatchNormalization") {
          auto* bn = dynamic_cast<const nn::BatchNormalization*>(g.nodes[size_t(k)].layer.get());
          NABLA_CHECK(bn != nullptr, who, ": BatchNormalization of an unknown class");
          const double eps = bn->get_config().value("epsilon", 1e-3);
          const auto mean = floats(bn->moving_mean()), var = floats(bn->moving_variance());
          const auto gamma = bn->gamma().defined() ? floats(bn->gamma()) : std::vector<float>(size_t(n_out), 1.f);
          const auto beta = bn->beta().defined() ? floats(bn->beta()) : std::vector<float>(size_t(n_out), 0.f);
          NABLA_CHECK(int64_t(mean.size()) == n_out, who, ": BatchNormalization '", bn->name(), "' has ",
                      mean.size(), " channels for ", n_out, " outputs");
          if (wp.b.empty()) wp.b.assign(size_t(n_out), 0.f);
          for (int64_t o = 0; o < n_out; ++o) {
            const double s = gamma[size_t(o)] / std::sqrt(double(var[size_t(o)]) + eps);
            for (size_t r = size_t(o); r < wp.w.size(); r += size_t(n_out)) wp.w[r] = float(wp.w[r] * s);
            wp.b[size_t(o)] = float((wp.b[size_t(o)] - mean[size_t(o)]) * s + beta[size_t(o)]);
          }
          absorbed[size_t(k)] = true;
          last = k;
          group.push_back(k);
        }
        // ... -> ReLU (an Activation("relu") or ReLU layer): fused.
        const int r = sole_consumer(last);
        if (r >= 0) {
          const std::string& rt = g.nodes[size_t(r)].layer->type();
          const std::string ra = activation_of(*g.nodes[size_t(r)].layer);
          if ((rt == "Activation" || rt == "ReLU") && (ra == "relu" || ra == "softmax")) {
            act = ra;
            absorbed[size_t(r)] = true;
            last = r;
            group.push_back(r);
          }
        }
      }
      if (act == "relu") {
        op.relu = true;
      } else if (!act.empty() && act != "softmax") {
        throw ValueError(who + ": activation '" + act + "'; nabla lite fuses relu and runs softmax at the output");
      }
      op.kind = type == "Dense" ? OpKind::Dense : OpKind::Conv2D;
      if (op.kind == OpKind::Conv2D) {
        NABLA_CHECK(c.value("groups", 1) == 1, who, ": grouped convolution");
        set_window(op, c, "kernel_size", m.tensors[size_t(ins[0])].shape);
      }
      const int32_t t = add_tensor(L.name(), shapes[size_t(last)], last, -1);
      if (act == "softmax") softmax_tensor = t;
      for (int a : group) tensor_of[size_t(a)] = t;
      op.output = t;
      wp.op = m.ops.size();
      m.ops.push_back(std::move(op));
      weighted.push_back(std::move(wp));
    } else if (type == "MaxPooling2D" || type == "AveragePooling2D") {
      op.kind = type == "MaxPooling2D" ? OpKind::MaxPooling2D : OpKind::AveragePooling2D;
      set_window(op, c, "pool_size", m.tensors[size_t(ins[0])].shape);
      op.output = tensor_of[i] = add_tensor(L.name(), shapes[i], -1, ins[0]);
      m.ops.push_back(std::move(op));
    } else if (type == "GlobalAveragePooling2D") {
      const auto& s = m.tensors[size_t(ins[0])].shape;
      NABLA_CHECK(s.size() == 3, who, ": input of shape rank ", s.size());
      op.kind = OpKind::AveragePooling2D;
      op.kh = op.sh = int32_t(s[0]);
      op.kw = op.sw = int32_t(s[1]);
      op.output = add_tensor(L.name() + "/pool", {1, 1, s[2]}, -1, ins[0]);
      m.ops.push_back(op);
      QOp r;
      r.kind = OpKind::Reshape;
      r.name = L.name();
      r.inputs = {op.output};
      r.output = tensor_of[i] = add_tensor(L.name(), shapes[i], -1, op.output);
      m.ops.push_back(std::move(r));
    } else if (type == "Flatten" || type == "Reshape") {
      op.kind = OpKind::Reshape;
      op.output = tensor_of[i] = add_tensor(L.name(), shapes[i], -1, ins[0]);
      m.ops.push_back(std::move(op));
    } else if (type == "Dropout" || type == "InputLayer") {
      tensor_of[i] = ins[0];  // inference: the identity
    } else if (type == "Add" || type == "Concatenate") {
      if (type == "Concatenate") {
        const int axis = c.value("axis", -1);
        NABLA_CHECK(axis == -1 || axis == int(shapes[i].size()), who, ": axis ", axis,
                    "; nabla lite concatenates along the last axis");
      }
      op.kind = type == "Add" ? OpKind::Add : OpKind::Concatenate;
      op.output = tensor_of[i] = add_tensor(L.name(), shapes[i], int(i), -1);
      m.ops.push_back(std::move(op));
    } else if (type == "BatchNormalization") {
      throw ValueError(who + ": nabla lite folds BatchNormalization into the Dense or Conv2D before it, which must "
                       "have no activation and no other consumer");
    } else {
      throw ValueError(who + " has no int8 form (the activation '" + activation_of(L) +
                       "' where it is an activation); nabla lite quantizes Dense, Conv2D, BatchNormalization after "
                       "them, ReLU, MaxPooling2D, AveragePooling2D, GlobalAveragePooling2D, Flatten, Reshape, "
                       "Dropout, Add, Concatenate and a softmax at the output");
    }
  }
  m.output = tensor_of[size_t(g.output)];
  NABLA_CHECK(softmax_tensor < 0 || softmax_tensor == m.output, "lite::quantize: a softmax inside model '",
              model.name(), "'; nabla lite runs softmax only at the output");
  m.output_softmax = softmax_tensor >= 0;
  for (const QOp& op : m.ops)
    if (op.output == m.output && (op.kind == OpKind::Dense || op.kind == OpKind::Conv2D))
      m.tensors[size_t(m.output)].is_float = true;

  // Calibration: min/max, then histograms over [min, max], of every tensor that has its own scale.
  std::vector<Stats> stats(m.tensors.size());
  auto observed = [&](size_t t, const Tensor& x, const std::vector<Tensor>& outs) -> const Tensor* {
    if (m.tensors[t].is_float || q_from[t] >= 0) return nullptr;
    return stat_node[t] < 0 ? &x : &outs[size_t(stat_node[t])];
  };
  each_batch([&](const Tensor& x, const std::vector<Tensor>& outs) {
    for (size_t t = 0; t < m.tensors.size(); ++t)
      if (const Tensor* v = observed(t, x, outs)) stats[t].range(*v);
  });
  if (opts.calibration != "minmax")
    each_batch([&](const Tensor& x, const std::vector<Tensor>& outs) {
      for (size_t t = 0; t < m.tensors.size(); ++t)
        if (const Tensor* v = observed(t, x, outs)) stats[t].histogram(*v, opts.histogram_bins);
    });
  for (size_t t = 0; t < m.tensors.size(); ++t) {
    QTensor& qt = m.tensors[t];
    if (qt.is_float) {
      qt.calibration = "float32 output";
    } else if (q_from[t] >= 0) {
      qt.q = m.tensors[size_t(q_from[t])].q;
      qt.calibration = "from '" + m.tensors[size_t(q_from[t])].name + "'";
    } else {
      NABLA_CHECK(std::isfinite(stats[t].lo), "lite::quantize: tensor '", qt.name,
                  "' saw no finite value during calibration");
      std::tie(qt.q, qt.calibration) = choose(stats[t], opts);
    }
  }

  // Weights: per output channel symmetric; bias in the accumulator's scale s_in * s_w.
  const int qmax = opts.weight_bits == 7 ? 63 : 127;
  for (WeightedPlan& wp : weighted) {
    QOp& op = m.ops[wp.op];
    const int64_t n_out = m.tensors[size_t(op.output)].shape.back();
    const float s_in = m.tensors[size_t(op.inputs[0])].q.scale;
    std::vector<float> amax(size_t(n_out), 0.f);
    for (size_t r = 0; r < wp.w.size(); ++r) amax[r % size_t(n_out)] = std::max(amax[r % size_t(n_out)], std::abs(wp.w[r]));
    op.weight_scales.resize(size_t(n_out));
    for (int64_t o = 0; o < n_out; ++o) op.weight_scales[size_t(o)] = amax[size_t(o)] > 0 ? amax[size_t(o)] / qmax : 1.f;
    op.weights.resize(wp.w.size());
    for (size_t r = 0; r < wp.w.size(); ++r) {
      const double q = std::nearbyint(wp.w[r] / op.weight_scales[r % size_t(n_out)]);
      op.weights[r] = int8_t(std::clamp(q, double(-qmax), double(qmax)));
    }
    if (!wp.b.empty()) {
      op.bias.resize(size_t(n_out));
      for (int64_t o = 0; o < n_out; ++o) {
        const double q = std::nearbyint(double(wp.b[size_t(o)]) / (double(s_in) * op.weight_scales[size_t(o)]));
        op.bias[size_t(o)] = int32_t(std::clamp(q, -2147483647.0, 2147483647.0));
      }
    }
  }
  m.validate("lite::quantize: model '" + model.name() + "'");
  return m;
}

QModel quantize(const Model& model, const Tensor& calibration, QuantizeOptions opts) {
  NABLA_CHECK(calibration.dim() >= 1 && calibration.size(0) > 0, "lite::quantize: calibration data of shape ",
              calibration.shape().str());
  NABLA_CHECK(opts.batch_size > 0, "lite::quantize: batch_size ", opts.batch_size);
  const Tensor x = calibration.to(f32);
  return quantize(model, data::Dataset::from_tensor_slices(x).batch(opts.batch_size), opts);
}

}  // namespace nabla::lite
