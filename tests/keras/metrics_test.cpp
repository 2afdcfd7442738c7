// Metrics against Keras 3's numbers (keras_fixtures.json): Accuracy, top-k accuracies, AUC(from_logits), Keras's
// elementwise Precision/Recall, and sample weights of every shape Keras accepts.
#include "keras_fixtures.h"

using namespace nabla;
using namespace nabla::keras_check;

namespace {

metrics::MetricPtr make_metric(const std::string& cls, const json& kw) {
  if (cls == "Accuracy") return std::make_shared<metrics::Accuracy>();
  if (cls == "BinaryAccuracy") return std::make_shared<metrics::BinaryAccuracy>("binary_accuracy", num(kw, "threshold", 0.5));
  if (cls == "CategoricalAccuracy") return std::make_shared<metrics::CategoricalAccuracy>();
  if (cls == "SparseCategoricalAccuracy") return std::make_shared<metrics::SparseCategoricalAccuracy>();
  if (cls == "TopKCategoricalAccuracy") return std::make_shared<metrics::TopKCategoricalAccuracy>(int64_t(num(kw, "k", 5)));
  if (cls == "SparseTopKCategoricalAccuracy")
    return std::make_shared<metrics::SparseTopKCategoricalAccuracy>(int64_t(num(kw, "k", 5)));
  if (cls == "MeanSquaredError") return std::make_shared<metrics::MeanSquaredError>();
  if (cls == "MeanAbsoluteError") return std::make_shared<metrics::MeanAbsoluteError>();
  if (cls == "AUC") {
    metrics::AucOptions o;
    o.from_logits = flag(kw, "from_logits", false);
    o.curve = str(kw, "curve", "ROC") == "PR" ? metrics::Curve::PR : metrics::Curve::ROC;
    return std::make_shared<metrics::AUC>(o);
  }
  metrics::PrecisionRecallOptions o;
  if (kw.contains("thresholds")) o.thresholds = kw["thresholds"].get<double>();
  if (kw.contains("top_k")) o.top_k = kw["top_k"].get<int64_t>();
  if (kw.contains("class_id")) o.class_id = kw["class_id"].get<int64_t>();
  if (cls == "Precision") return std::make_shared<metrics::Precision>(o);
  if (cls == "Recall") return std::make_shared<metrics::Recall>(o);
  throw std::runtime_error("no nabla metric for Keras class " + cls);
}

}  // namespace

TEST(KerasMetrics, MatchKeras3) {
  int n = 0;
  for (const json& c : cases("metrics")) {
    SCOPED_TRACE(c["name"].get<std::string>());
    for (DType dt : {f64, f32}) {
      metrics::MetricPtr m = make_metric(c["class"], c["kwargs"]);
      for (const json& b : c["batches"])
        m->update_state(tensor(b, "y_true", dt), tensor(b, "y_pred", dt),
                        b.contains("sample_weight") ? tensor(b, "sample_weight", dt) : Tensor());
      EXPECT_NEAR(m->result(), c["expected"].get<double>(), 2e-6) << c["name"];
    }
    ++n;
  }
  EXPECT_GE(n, 30);
}

TEST(KerasMetrics, ByName) {
  EXPECT_NE(dynamic_cast<metrics::TopKCategoricalAccuracy*>(metrics::get("top_k_categorical_accuracy").get()), nullptr);
  EXPECT_NE(dynamic_cast<metrics::SparseTopKCategoricalAccuracy*>(metrics::get("sparse_top_k_categorical_accuracy").get()),
            nullptr);
  EXPECT_NE(dynamic_cast<metrics::Precision*>(metrics::get("precision").get()), nullptr);
  EXPECT_NE(dynamic_cast<metrics::Recall*>(metrics::get("recall").get()), nullptr);
}

TEST(KerasMetrics, PrecisionDiffersFromSklearnOnSoftmaxOutputs) {
  // Keras thresholds each entry of [N, C]; the sklearn-style ClassPrecision takes the argmax and scores class 1.
  Tensor y = Tensor::from_vector<double>({0, 1, 0, 1, 0, 0}, Shape{3, 2});   // classes 1, 1, 0
  Tensor p = Tensor::from_vector<double>({0.45, 0.55, 0.3, 0.7, 0.6, 0.4}, Shape{3, 2});
  metrics::Precision keras;
  keras.update_state(y, p);
  EXPECT_NEAR(keras.result(), 2.0 / 3, 1e-12);  // entries > 0.5: (0,1) tp, (1,1) tp, (2,0) fp
  metrics::ClassPrecision sk;
  sk.update_state(Tensor::from_vector<double>({1, 1, 0}), p);
  EXPECT_NEAR(sk.result(), 1.0, 1e-12);  // predicted class 1 twice, right both times
  nabla::testing::expect_error_contains<ShapeError>([&] { keras.update_state(Tensor::from_vector<double>({1, 1, 0}), p); },
                                             {"precision", "(3,)", "(3, 2)", "ClassPrecision"});
}

TEST(KerasMetrics, BadWeightShapeIsNamed) {
  metrics::BinaryAccuracy m;
  nabla::testing::expect_error_contains<ShapeError>(
      [&] { m.update_state(Tensor::zeros({4, 5}, f64), Tensor::zeros({4, 5}, f64), Tensor::ones({3}, f64)); },
      {"binary_accuracy", "(3,)"});
}
