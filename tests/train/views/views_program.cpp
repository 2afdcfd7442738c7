// The reference MLP (examples/mnist_mlp.cpp) on a slice of MNIST, trained with callbacks::TensorBoard and
// callbacks::TrainingReport (fed by debug::Diagnostics), for the checks beside it: it writes <out>/logs (the event
// files) and <out>/expected.json (what fit logged and the final weights' statistics), which TensorBoard's own
// readers must reproduce (tensorboard_check.py), and <out>/report.html, which Chromium renders (report_check.py).
// Usage: nabla_views_program <out_dir>
#include <cmath>
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>

#include <nabla/nabla.h>
using namespace nabla;

int main(int argc, char** argv) {
  if (argc != 2) {
    std::cerr << "usage: " << argv[0] << " <out_dir>\n";
    return 2;
  }
  const std::string out = argv[1];
  manual_seed(1);
  auto [train, test] = datasets::mnist::load_data();
  // 3000 training images, 4 epochs, 500 for validation: a few seconds, enough for curves that move.
  Tensor x = train.images.slice(0, 0, 3000).to(f32) / 255.0;
  Tensor y = train.labels.slice(0, 0, 3000);
  Tensor vx = test.images.slice(0, 0, 500).to(f32) / 255.0;
  Tensor vy = test.labels.slice(0, 0, 500);

  Sequential model({
      layers::Flatten({28, 28}),
      layers::Dense(128, "relu"),
      layers::Dropout(0.2),
      layers::Dense(10, "softmax"),
  });
  model.compile("adam", "sparse_categorical_crossentropy", {"accuracy"});
  auto tb = std::make_shared<callbacks::TensorBoard>(
      out + "/logs", callbacks::TensorBoardOptions{.histogram_freq = 1, .write_steps_per_second = true,
                                                   .update_freq = 47});
  auto diag = std::make_shared<debug::Diagnostics>(debug::DiagnosticsOptions{.out = nullptr});
  auto report = std::make_shared<callbacks::TrainingReport>(
      out + "/report.html", callbacks::TrainingReportOptions{.title = "Reference MLP on 3000 MNIST images",
                                                             .grad_norm_every = 5,
                                                             .findings = debug::report_findings(diag)});
  const int epochs = 4;
  const int64_t batch = 32;
  History h = model.fit(x, y, {.epochs = epochs, .batch_size = batch, .verbose = 2, .callbacks = {tb, diag, report},
                               .validation_data = ValidationData(vx, vy)});

  nlohmann::json j;
  j["epochs"] = epochs;
  j["steps_per_epoch"] = (3000 + batch - 1) / batch;
  j["update_freq"] = 47;  // half an epoch: every epoch ends on a batch summary
  j["history"] = h.history;
  j["learning_rate"] = model.optimizer().learning_rate();
  j["iterations"] = model.optimizer().iterations();
  nlohmann::json weights = nlohmann::json::object();
  for (const auto& l : model.layers())
    for (const auto& w : l->weights()) {
      Tensor t = w.value.contiguous();
      const float* p = t.data<float>();
      double lo = p[0], hi = p[0], sum = 0;
      for (int64_t i = 0; i < t.numel(); ++i) {
        lo = std::min(lo, double(p[i]));
        hi = std::max(hi, double(p[i]));
        sum += p[i];
      }
      weights[l->name() + "/" + w.name + "/histogram"] = {{"num", t.numel()}, {"min", lo}, {"max", hi}, {"sum", sum}};
    }
  j["final_weights"] = weights;
  std::vector<std::string> names;
  for (const auto& l : model.layers()) names.push_back(l->name());
  j["layers"] = names;
  std::ofstream(out + "/expected.json") << j.dump(1);
  return 0;
}
