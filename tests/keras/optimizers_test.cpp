// weight_decay on every optimizer against Keras 3's trajectories (keras_fixtures.json): the base optimizer's
// decoupled decay, p -= p * weight_decay * lr before each update, with exclude_from_weight_decay.
#include "keras_fixtures.h"

using namespace nabla;
using namespace nabla::keras_check;

namespace {

template <class O>
void common(O& o, const json& kw, double lr) {
  o.learning_rate = num(kw, "learning_rate", lr);
  o.weight_decay = num(kw, "weight_decay", 0);
  if (kw.contains("clipnorm")) o.clipnorm = kw["clipnorm"].get<double>();
}

optim::OptimizerPtr make_optimizer(const std::string& cls, const json& kw) {
  if (cls == "SGD") {
    optim::SGDOptions o;
    common(o, kw, 0.01);
    o.momentum = num(kw, "momentum", 0);
    o.nesterov = flag(kw, "nesterov", false);
    return std::make_shared<optim::SGD>(o);
  }
  if (cls == "RMSprop") {
    optim::RMSpropOptions o;
    common(o, kw, 0.001);
    o.momentum = num(kw, "momentum", 0);
    o.centered = flag(kw, "centered", false);
    return std::make_shared<optim::RMSprop>(o);
  }
  optim::AdamOptions o;
  if (cls == "AdamW") o.weight_decay = 0.004;
  const double dflt_wd = o.weight_decay;
  common(o, kw, 0.001);
  if (!kw.contains("weight_decay")) o.weight_decay = dflt_wd;
  if (cls == "Adam") return std::make_shared<optim::Adam>(o);
  if (cls == "AdamW") return optim::AdamW(o);
  throw std::runtime_error("no nabla optimizer for Keras class " + cls);
}

}  // namespace

TEST(KerasOptimizers, WeightDecayMatchesKeras3) {
  int n = 0;
  for (const json& c : cases("optimizers")) {
    SCOPED_TRACE(c["name"].get<std::string>());
    for (DType dt : {f64, f32}) {
      optim::OptimizerPtr opt = make_optimizer(c["class"], c["kwargs"]);
      std::vector<Tensor> params{tensor(c["params"][0], "", dt), tensor(c["params"][1], "", dt)};
      if (c["exclude_second"].get<bool>()) opt->exclude_from_weight_decay({params[1]});
      const json& steps = c["grads"];
      for (size_t s = 0; s < steps.size(); ++s) {
        opt->apply_gradients({tensor(steps[s][0], "", dt), tensor(steps[s][1], "", dt)}, params);
        for (size_t i = 0; i < 2; ++i) {
          Tensor expect = tensor(c["trajectory"][i], "", f64);
          expect_keras_close(params[i], select(expect, 0, int64_t(s)).contiguous(),
                             c["name"].get<std::string>() + " step " + std::to_string(s + 1));
        }
      }
    }
    ++n;
  }
  EXPECT_GE(n, 8);
}

TEST(KerasOptimizers, DecayOnlyTouchesParametersWithGradients) {
  optim::SGDOptions o;
  o.learning_rate = 0.5;
  o.weight_decay = 0.1;
  optim::SGD sgd(o);
  Tensor a = Tensor::full({2}, 1.0, f64), b = Tensor::full({2}, 1.0, f64);
  sgd.apply_gradients({Tensor::zeros({2}, f64), Tensor()}, {a, b});
  EXPECT_EQ(a.to_vector<double>(), (std::vector<double>{0.95, 0.95}));
  EXPECT_EQ(b.to_vector<double>(), (std::vector<double>{1.0, 1.0}));
}
