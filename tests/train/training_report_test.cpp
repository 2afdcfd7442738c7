// callbacks::TrainingReport: what the page holds after a fit (curves, gradient norms, the confusion matrix of the
// validation data, findings) and that it is rewritten whole at every epoch end. Rendering in Chromium is checked
// in tests/train/views.
#include <cmath>
#include <filesystem>

#include "nabla/core/atomic_file.h"
#include "test_util.h"

namespace nabla {
namespace {

namespace fs = std::filesystem;

size_t count(const std::string& s, const std::string& what) {
  size_t n = 0;
  for (size_t p = s.find(what); p != std::string::npos; p = s.find(what, p + 1)) ++n;
  return n;
}

TEST(TrainingReport, ConfusionFigures) {
  callbacks::TrainingReport::Confusion c{{{5, 1, 0}, {2, 6, 2}, {0, 0, 0}}};
  EXPECT_EQ(c.total(), 16);
  EXPECT_DOUBLE_EQ(c.precision(0), 5.0 / 7.0);
  EXPECT_DOUBLE_EQ(c.recall(0), 5.0 / 6.0);
  EXPECT_DOUBLE_EQ(c.precision(1), 6.0 / 7.0);
  EXPECT_DOUBLE_EQ(c.recall(1), 6.0 / 10.0);
  EXPECT_DOUBLE_EQ(c.precision(2), 0.0);  // predicted twice, never right
  EXPECT_TRUE(std::isnan(c.recall(2)));   // never occurs
}

// Three separable classes in 2-D; the validation rows are given separately.
struct Blobs {
  Tensor x, y;
  explicit Blobs(int64_t n) {
    x = Tensor::uniform({n, 2}, -0.3, 0.3);
    y = Tensor::zeros({n}, DType::i64);
    float* px = x.data<float>();
    int64_t* py = y.data<int64_t>();
    for (int64_t i = 0; i < n; ++i) {
      py[i] = i % 3;
      px[2 * i] += py[i] == 1 ? 2.f : 0.f;
      px[2 * i + 1] += py[i] == 2 ? 2.f : 0.f;
    }
  }
};

TEST(TrainingReport, ClassifierPageHasCurvesNormsConfusionAndFindings) {
  manual_seed(5);
  Blobs train(96), val(30);
  Sequential model({layers::Dense(8, "relu", {.input_shape = {2}}), layers::Dense(3, "softmax")});
  model.compile(std::make_shared<optim::Adam>(0.05), "sparse_categorical_crossentropy", {"accuracy"});
  const std::string path = testing::temp_dir() + "/report.html";
  auto diag = std::make_shared<debug::Diagnostics>(debug::DiagnosticsOptions{.out = nullptr});
  auto report = std::make_shared<callbacks::TrainingReport>(
      path, callbacks::TrainingReportOptions{.grad_norm_every = 2, .class_names = {"left", "right", "up"},
                                             .findings = debug::report_findings(diag)});
  History h = model.fit(train.x, train.y, {.epochs = 3, .batch_size = 16, .verbose = 0, .callbacks = {diag, report},
                                           .validation_data = ValidationData(val.x, val.y)});
  const std::string html = read_file(path, "test");
  EXPECT_EQ(html.rfind("</html>\n"), html.size() - 8);  // written whole
  for (const char* id : {"id=\"chart-loss\"", "id=\"chart-accuracy\"", "id=\"chart-learning-rate\"",
                         "id=\"chart-grad-norms\"", "id=\"confusion-matrix\"", "id=\"per-class\"", "id=\"findings\""})
    EXPECT_NE(html.find(id), std::string::npos) << id;
  // 6 steps per epoch, sampled every 2: 9 samples; one line per trainable layer.
  const size_t grad = html.find("id=\"chart-grad-norms\"");
  const std::string grad_svg = html.substr(grad, html.find("</svg>", grad) - grad);
  EXPECT_EQ(count(grad_svg, "class=\"series\""), 2u);
  EXPECT_EQ(count(grad_svg, "<circle"), 18u);
  EXPECT_NE(grad_svg.find(model.layers()[0]->name()), std::string::npos);
  // Loss curve: train and validation, 3 epochs each.
  const size_t loss = html.find("id=\"chart-loss\"");
  const std::string loss_svg = html.substr(loss, html.find("</svg>", loss) - loss);
  EXPECT_EQ(count(loss_svg, "<circle"), 6u);
  EXPECT_NE(loss_svg.find("validation"), std::string::npos);
  // The confusion matrix counts each of the 30 validation rows once, 10 per true class.
  const size_t cm = html.find("id=\"confusion-matrix\"");
  const std::string cm_html = html.substr(cm, html.find("</table>", cm) - cm);
  EXPECT_EQ(count(cm_html, "<td"), 9u);
  EXPECT_NE(cm_html.find("<th>right</th>"), std::string::npos);
  EXPECT_NE(html.find("<td>10</td></tr>"), std::string::npos);  // per-class support
  // After 3 epochs of Adam on separable blobs the validation accuracy is high, so the diagonal dominates.
  EXPECT_GT(h.history["val_accuracy"].back(), 0.9);
  EXPECT_EQ(html.find("No confusion matrix"), std::string::npos);
  // No temporary file is left beside the report.
  size_t files = 0;
  for (const auto& e : fs::directory_iterator(fs::path(path).parent_path())) files += e.is_regular_file();
  EXPECT_EQ(files, 1u);
}

TEST(TrainingReport, NonFiniteLossAndForeignFindingsAreListedWithAdvice) {
  manual_seed(6);
  Blobs train(32);
  Sequential model({layers::Dense(3, "softmax", {.input_shape = {2}})});
  model.compile("sgd", "sparse_categorical_crossentropy");
  const std::string path = testing::temp_dir() + "/report.html";
  auto report = std::make_shared<callbacks::TrainingReport>(path);
  auto nan_loss = std::make_shared<callbacks::LambdaCallback>();  // runs before the report
  nan_loss->epoch_end = [](int epoch, callbacks::Logs& logs) {
    if (epoch == 1) logs["loss"] = std::nan("");
  };
  report->add_finding({"custom", "dense_x", "evidence 42", "advice 43"});
  model.fit(train.x, train.y, {.epochs = 2, .batch_size = 16, .verbose = 0, .callbacks = {nan_loss, report}});
  const std::string html = read_file(path, "test");
  EXPECT_NE(html.find("loss_nan"), std::string::npos);
  EXPECT_NE(html.find("epoch 1: loss NaN"), std::string::npos);
  EXPECT_NE(html.find("enable_check_numerics"), std::string::npos);
  EXPECT_NE(html.find("evidence 42"), std::string::npos);
  EXPECT_NE(html.find("No confusion matrix: fit had no validation data"), std::string::npos);
  EXPECT_EQ(html.find("id=\"no-findings\""), std::string::npos);
}

TEST(TrainingReport, RegressionHasNoConfusionMatrixAndBadOptionsAreRejected) {
  manual_seed(7);
  Sequential model({layers::Dense(1, "", {.input_shape = {2}})});
  model.compile("sgd", "mse");
  Tensor x = Tensor::uniform({20, 2}, -1, 1), y = Tensor::uniform({20, 1}, -1, 1);
  const std::string path = testing::temp_dir() + "/r.html";
  model.fit(x, y, {.epochs = 1, .verbose = 0, .callbacks = {std::make_shared<callbacks::TrainingReport>(path)},
                   .validation_split = 0.25});
  const std::string html = read_file(path, "test");
  EXPECT_NE(html.find("not a classifier"), std::string::npos);
  EXPECT_NE(html.find("id=\"chart-loss\""), std::string::npos);
  testing::expect_error_contains([] { callbacks::TrainingReport("r.html", {.grad_norm_every = 0}); },
                                 {"grad_norm_every"});
  testing::expect_error_contains([&] { callbacks::TrainingReport("r.html", {.x_val = x}); }, {"x_val", "y_val"});
}

}  // namespace
}  // namespace nabla
