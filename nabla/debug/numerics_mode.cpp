#include "nabla/debug/numerics_mode.h"

#include <cstdlib>
#include <filesystem>
#include <optional>
#include <unordered_map>

#include "nabla/autograd/grad_mode.h"
#include "nabla/autograd/node.h"
#include "nabla/debug/nan_dump.h"
#include "nabla/optim/optimizer.h"
#include "nabla/train/fit_observer.h"
#include "nabla/train/model.h"
#include "nabla/train/weights_io.h"

namespace nabla::debug {
namespace {

std::string where(const std::string& path) { return path.empty() ? "(outside any layer, e.g. the loss)" : path; }

class Checker final : public autograd::OpObserver, public optim::StepObserver, public FitObserver {
 public:
  NumericsOptions opts;
  bool enabled = false;

  void on_forward(const char* op, const std::string& scope, const std::vector<Tensor>& inputs,
                  const Tensor& output) override {
    // Ops inside gradient formulas are checked through the gradients they produce (on_backward).
    if (!opts.forward || busy_ || autograd::in_backward() || !output.defined() || !is_floating(output.dtype()))
      return;
    if (all_finite(output)) return;
    TensorSummary s = summarize(output);
    busy_ = true;
    std::string r = detail::concat("check mode: op '", op, "' produced non-finite values in its forward output\n",
                                   "  layer path: ", where(scope), "\n  phase: forward\n  output: ",
                                   output.shape().str(), " ", s.str(output.shape()), "\n");
    bool input_bad = false;
    for (size_t i = 0; i < inputs.size(); ++i) {
      r += detail::concat("  input ", i, ": ", describe(inputs[i]), "\n");
      if (inputs[i].defined() && !summarize(inputs[i]).ok()) input_bad = true;
    }
    if (input_bad)
      r += "  note: an input was already non-finite, so the bad values came from outside the checked ops "
           "(the data, or a parameter changed while check mode was off)\n";
    fail(r, op, scope, "forward");
  }

  void on_backward(const autograd::Node& node, const autograd::GradList& grads) override {
    if (!opts.backward || busy_) return;
    for (size_t k = 0; k < grads.size(); ++k) {
      const Tensor& g = grads[k];
      if (all_finite(g)) continue;
      TensorSummary s = summarize(g);
      busy_ = true;
      std::string scope = node.scope ? *node.scope : std::string();
      std::string r = detail::concat(
          "check mode: the backward of op '", node.name, "' produced a non-finite gradient for its input ", k, "\n",
          "  layer path: ", where(scope), "\n  phase: backward\n  forward op: '", node.name, "' (output ",
          node.out_shape.str(), "); its gradient w.r.t. input ", k, " went bad\n  gradient: ", g.shape().str(), " ",
          s.str(g.shape()), "\n");
      for (size_t i = 0; i < node.inputs.size(); ++i)
        r += detail::concat("  forward input ", i, ": ",
                            node.inputs[i] ? describe(Tensor(node.inputs[i])) : std::string("(needs no gradient)"),
                            "\n");
      fail(r, node.name, scope, "backward");
    }
  }

  void on_step(const optim::Optimizer& opt, const std::vector<Tensor>& params) override {
    if (!opts.optimizer || busy_) return;
    for (size_t i = 0; i < params.size(); ++i) {
      if (all_finite(params[i])) continue;
      TensorSummary s = summarize(params[i]);
      busy_ = true;
      std::string name = param_name(params[i], i);
      std::string r = detail::concat("check mode: optimizer '", opt.name(), "' step ", opt.iterations(),
                                     " made parameter '", name, "' non-finite\n  layer path: ", layer_of(name),
                                     "\n  phase: optimizer\n  parameter: ", params[i].shape().str(), " ",
                                     s.str(params[i].shape()), "\n");
      Tensor g = params[i].grad();
      TensorSummary gs = summarize(g);
      r += "  its gradient: " + describe(g) + "\n";
      if (g.defined() && gs.ok())
        r += "  the gradient was finite: the non-finite values were created inside the update (learning rate " +
             std::to_string(opt.learning_rate()) + "); lower the learning rate or clip gradients "
             "(OptimizerOptions clipnorm / global_clipnorm)\n";
      fail(r, "optimizer:" + opt.name(), layer_of(name), "optimizer");
    }
    std::vector<Tensor> state = opt.state_tensors();
    for (size_t i = 0; i < state.size(); ++i) {
      if (all_finite(state[i])) continue;
      TensorSummary s = summarize(state[i]);
      busy_ = true;
      fail(detail::concat("check mode: optimizer '", opt.name(), "' step ", opt.iterations(), " made its state tensor ",
                          i, " non-finite\n  phase: optimizer\n  state: ", state[i].shape().str(), " ",
                          s.str(state[i].shape()), "\n"),
           "optimizer:" + opt.name(), "", "optimizer");
    }
  }

  void on_train_step_begin(Model& model, const Tensor& x, const Tensor& y, const Tensor& sw, int epoch,
                           int64_t step) override {
    busy_ = true;
    if (!all_built(model)) {  // layers without an input shape build on their first call; names need weights
      NoGradGuard ng;
      model(x);
    }
    busy_ = false;
    name_model(model);
    if (!opts.dump_on_failure) return;
    busy_ = true;
    snapshot_ = take_snapshot(model, x, y, sw, epoch, step);
    busy_ = false;
  }
  void on_train_step_end(Model&) override { snapshot_.reset(); }

  void name_model(const Model& model) {
    names_.clear();
    for (auto& [n, t] : named_weights(model)) names_[t.impl()] = model.name() + "/" + n;
  }
  static bool all_built(const Model& model) {
    for (const auto& l : model.layers())
      if (!l->built()) return false;
    return true;
  }
  void reset() {
    snapshot_.reset();
    busy_ = false;
  }

 private:
  std::string param_name(const Tensor& p, size_t i) const {
    auto it = names_.find(p.impl());
    return it != names_.end() ? it->second : "parameter " + std::to_string(i);
  }
  static std::string layer_of(const std::string& name) {
    auto slash = name.rfind('/');
    return slash == std::string::npos ? std::string() : name.substr(0, slash);
  }

  [[noreturn]] void fail(std::string report, const std::string& op, const std::string& path,
                         const std::string& phase) {
    std::string dump;
    if (snapshot_) {
      std::string dir = opts.dump_dir;
      if (dir.empty()) {
        const char* tmp = std::getenv("TMPDIR");
        dir = std::string(tmp && *tmp ? tmp : "/tmp") + "/nabla_nan_dumps";
      }
      try {
        dump = write_nan_dump(*snapshot_, dir);
        report += detail::concat("NaN dump of this step (epoch ", snapshot_->epoch + 1, ", batch ", snapshot_->step,
                                 ") written to ", dump, "\n  replay it under full checking with: "
                                 "debug::replay_step(\"", dump, "\", model)  // same architecture, compiled\n");
      } catch (const std::exception& e) {
        report += std::string("(could not write the NaN dump: ") + e.what() + ")\n";
      }
      snapshot_.reset();
    }
    busy_ = false;
    NumericsError err(report, op, path, phase);
    err.dump_path = dump;
    throw err;
  }

  bool busy_ = false;  // the checker's own work (statistics, snapshots) is not checked
  std::optional<StepSnapshot> snapshot_;
  std::unordered_map<const TensorImpl*, std::string> names_;
};

Checker& checker() {
  static Checker c;
  return c;
}

}  // namespace

void enable_check_numerics(const NumericsOptions& opts) {
  Checker& c = checker();
  c.opts = opts;
  c.reset();
  c.enabled = true;
  autograd::set_op_observer(&c);
  optim::set_step_observer(&c);
  add_fit_observer(&c);
}

void disable_check_numerics() {
  Checker& c = checker();
  c.enabled = false;
  c.reset();
  if (autograd::op_observer() == &c) autograd::set_op_observer(nullptr);
  if (optim::step_observer() == &c) optim::set_step_observer(nullptr);
  remove_fit_observer(&c);
}

bool check_numerics_enabled() { return checker().enabled; }

CheckNumericsGuard::CheckNumericsGuard(const NumericsOptions& opts)
    : was_enabled_(check_numerics_enabled()), prev_(checker().opts) {
  enable_check_numerics(opts);
}

CheckNumericsGuard::~CheckNumericsGuard() {
  if (was_enabled_)
    enable_check_numerics(prev_);
  else
    disable_check_numerics();
}

void name_parameters(const Model& model) { checker().name_model(model); }

}  // namespace nabla::debug
