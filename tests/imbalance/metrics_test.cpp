#include "test_util.h"

namespace nabla {
namespace {

using namespace metrics;

// A 4-class case with a rare class; the expected values are scikit-learn's (1.2, Debian's python3-sklearn):
//   yt = [0,1,2,2,1,0,2,2,1,0,2,3]; yp = [0,2,2,2,1,1,2,0,1,0,2,3]; sw = [1,2,1,1,0.5,1,1,3,1,1,2,1]
Tensor yt() { return Tensor::from_vector<int64_t>({0, 1, 2, 2, 1, 0, 2, 2, 1, 0, 2, 3}); }
Tensor yp() { return Tensor::from_vector<int64_t>({0, 2, 2, 2, 1, 1, 2, 0, 1, 0, 2, 3}); }
Tensor sw() { return Tensor::from_vector<double>({1, 2, 1, 1, 0.5, 1, 1, 3, 1, 1, 2, 1}); }

TEST(ClassificationMetrics, ConfusionMatrixByHand) {
  Tensor cm = confusion_matrix(yt(), yp());
  testing::expect_close(cm, Tensor::from_vector<double>({2, 1, 0, 0, 0, 2, 1, 0, 1, 0, 4, 0, 0, 0, 0, 1}, Shape{4, 4}));
  EXPECT_EQ(confusion_matrix(yt(), yp(), 6).shape(), Shape({6, 6}));
  // Scores convert to classes: argmax of [N, C]; threshold of one score per sample.
  Tensor probs = Tensor::from_vector<float>({0.7f, 0.3f, 0.2f, 0.8f, 0.6f, 0.4f}, Shape{3, 2});
  testing::expect_close(confusion_matrix(Tensor::from_vector<int64_t>({0, 1, 1}), probs),
                        Tensor::from_vector<double>({1, 0, 1, 1}, Shape{2, 2}));
  EXPECT_EQ(predicted_classes(Tensor::from_vector<float>({0.2f, 0.6f, 0.9f}), 0.7), (std::vector<int64_t>{0, 0, 1}));
}

TEST(ClassificationMetrics, AveragesMatchSklearn) {
  struct Case {
    Average avg;
    double p, r, f, pw, rw, fw;  // unweighted, then with sample_weight
  };
  for (Case c : {Case{Average::macro, 0.7833333333333333, 0.7833333333333333, 0.7833333333333333, 0.6785714285714286,
                      0.6800595238095237, 0.6666666666666666},
                 Case{Average::micro, 0.75, 0.75, 0.75, 0.6129032258064516, 0.6129032258064516, 0.6129032258064516},
                 Case{Average::weighted, 0.75, 0.75, 0.75, 0.6460829493087558, 0.6129032258064516,
                      0.618279569892473}}) {
    ClassMetricOptions o{.average = c.avg};
    EXPECT_NEAR(precision_score(yt(), yp(), o), c.p, 1e-12);
    EXPECT_NEAR(recall_score(yt(), yp(), o), c.r, 1e-12);
    EXPECT_NEAR(f1_score(yt(), yp(), o), c.f, 1e-12);
    EXPECT_NEAR(precision_score(yt(), yp(), o, sw()), c.pw, 1e-12);
    EXPECT_NEAR(recall_score(yt(), yp(), o, sw()), c.rw, 1e-12);
    EXPECT_NEAR(f1_score(yt(), yp(), o, sw()), c.fw, 1e-12);
  }
  auto per = precision_recall_f1_support(yt(), yp());
  std::vector<double> expect = {2.0 / 3, 2.0 / 3, 0.8, 1.0};
  for (size_t i = 0; i < 4; ++i) {
    EXPECT_NEAR(per.precision[i], expect[i], 1e-12);
    EXPECT_NEAR(per.recall[i], expect[i], 1e-12);
    EXPECT_NEAR(per.f1[i], expect[i], 1e-12);
  }
  EXPECT_EQ(per.support, (std::vector<double>{3, 3, 5, 1}));
  EXPECT_NEAR(balanced_accuracy_score(yt(), yp()), 0.7833333333333333, 1e-12);
  EXPECT_NEAR(balanced_accuracy_score(yt(), yp(), sw()), 0.6800595238095237, 1e-12);
}

TEST(ClassificationMetrics, BinaryThresholds) {
  // sklearn: precision/recall of (s > 0.5) = 0.75, 0.75; of (s > 0.3) = 2/3, 1 (0.32 here: 0.3f as float lies above 0.3).
  Tensor y = Tensor::from_vector<float>({0, 0, 1, 1, 0, 1, 0, 0, 1, 0});
  Tensor s = Tensor::from_vector<float>({0.1f, 0.4f, 0.35f, 0.8f, 0.05f, 0.9f, 0.62f, 0.2f, 0.55f, 0.3f});
  EXPECT_NEAR(precision_score(y, s), 0.75, 1e-12);
  EXPECT_NEAR(recall_score(y, s), 0.75, 1e-12);
  EXPECT_NEAR(precision_score(y, s, {.threshold = 0.32}), 2.0 / 3, 1e-12);
  EXPECT_NEAR(recall_score(y, s, {.threshold = 0.32}), 1.0, 1e-12);
  // Per class: class 0 is the positive one here.
  EXPECT_NEAR(recall_score(y, s, {.class_id = 0}), 5.0 / 6, 1e-12);
}

TEST(ClassificationMetrics, StreamingEqualsOneShot) {
  ClassPrecision p({.average = Average::macro});
  ClassRecall r({.average = Average::weighted});
  F1Score f({.average = Average::macro});
  BalancedAccuracy b;
  Tensor t = yt(), q = yp(), w = sw();
  for (int64_t s = 0; s < 12; s += 5) {
    int64_t e = std::min<int64_t>(s + 5, 12);
    for (Metric* m : std::initializer_list<Metric*>{&p, &r, &f, &b})
      m->update_state(slice(t, 0, s, e), slice(q, 0, s, e), slice(w, 0, s, e));
  }
  EXPECT_NEAR(p.result(), 0.6785714285714286, 1e-12);
  EXPECT_NEAR(r.result(), 0.6129032258064516, 1e-12);
  EXPECT_NEAR(f.result(), 0.6666666666666666, 1e-12);
  EXPECT_NEAR(b.result(), 0.6800595238095237, 1e-12);
  p.reset_state();
  EXPECT_EQ(p.result(), 0.0);
}

TEST(ClassificationMetrics, ReportHasSklearnLayout) {
  const std::string expect =
      "              precision    recall  f1-score   support\n"
      "\n"
      "           0       0.67      0.67      0.67         3\n"
      "           1       0.67      0.67      0.67         3\n"
      "           2       0.80      0.80      0.80         5\n"
      "           3       1.00      1.00      1.00         1\n"
      "\n"
      "    accuracy                           0.75        12\n"
      "   macro avg       0.78      0.78      0.78        12\n"
      "weighted avg       0.75      0.75      0.75        12\n";
  EXPECT_EQ(classification_report(yt(), yp()), expect);
  const std::string named =
      "              precision    recall  f1-score   support\n"
      "\n"
      "         cat      0.667     0.667     0.667         3\n"
      "         dog      0.667     0.667     0.667         3\n"
      "        bird      0.800     0.800     0.800         5\n"
      "  rare-class      1.000     1.000     1.000         1\n"
      "\n"
      "    accuracy                          0.750        12\n"
      "   macro avg      0.783     0.783     0.783        12\n"
      "weighted avg      0.750     0.750     0.750        12\n";
  EXPECT_EQ(classification_report(yt(), yp(), {"cat", "dog", "bird", "rare-class"}, 3), named);
}

TEST(ClassificationMetrics, AucMatchesKerasAndSklearn) {
  Tensor y = Tensor::from_vector<float>({0, 0, 1, 1, 0, 1, 0, 0, 1, 0});
  Tensor s = Tensor::from_vector<float>({0.1f, 0.4f, 0.35f, 0.8f, 0.05f, 0.9f, 0.62f, 0.2f, 0.55f, 0.3f});
  Tensor w = slice(sw(), 0, 0, 10);
  // Scores more than 1/199 apart fall in distinct threshold buckets, so the trapezoidal ROC AUC is exact:
  // sklearn's roc_auc_score gives 0.875 (weighted: 0.8823529411764706).
  EXPECT_NEAR(keras_auc_score(y, s), 0.875, 1e-6);
  EXPECT_NEAR(keras_auc_score(y, s, {}, w), 0.8823529411764706, 1e-6);
  // PR AUC with Keras's interpolation; reference from a NumPy transcription of tf.keras.metrics.AUC
  // (interpolate_pr_auc) at 200 thresholds.
  EXPECT_NEAR(keras_auc_score(y, s, {.curve = Curve::PR}), 0.8369187034900776, 1e-6);
  EXPECT_NEAR(keras_auc_score(y, s, {.curve = Curve::PR}, w), 0.812466472016611, 1e-6);
  // By hand: a perfect ranking has both areas 1; a reversed one has ROC AUC 0.
  Tensor yb = Tensor::from_vector<float>({0, 0, 1, 1});
  EXPECT_NEAR(keras_auc_score(yb, Tensor::from_vector<float>({0.1f, 0.2f, 0.7f, 0.9f})), 1.0, 1e-9);
  EXPECT_NEAR(keras_auc_score(yb, Tensor::from_vector<float>({0.1f, 0.2f, 0.7f, 0.9f}), {.curve = Curve::PR}), 1.0, 1e-9);
  EXPECT_NEAR(keras_auc_score(yb, Tensor::from_vector<float>({0.9f, 0.7f, 0.2f, 0.1f})), 0.0, 1e-9);
  // One-vs-rest on [N, C] scores, and streaming over batches.
  Tensor probs = Tensor::zeros({10, 2});
  for (int64_t i = 0; i < 10; ++i) {
    probs.data<float>()[i * 2 + 1] = s.data<float>()[i];
    probs.data<float>()[i * 2] = 1 - s.data<float>()[i];
  }
  AUC m({.class_id = 1});
  m.update_state(slice(y, 0, 0, 4), slice(probs, 0, 0, 4));
  m.update_state(slice(y, 0, 4, 10), slice(probs, 0, 4, 10));
  EXPECT_NEAR(m.result(), 0.875, 1e-6);
}

TEST(ClassificationMetrics, UsableAsCompileMetrics) {
  manual_seed(5);
  Tensor x = Tensor::normal({64, 3}, 0, 1, f32, nullptr);
  Tensor y = Tensor::empty({64}, i64);
  for (int64_t i = 0; i < 64; ++i) y.data<int64_t>()[i] = x.data<float>()[i * 3] > 0.8f ? 1 : 0;
  Sequential model({layers::Dense(2, "softmax", {.input_shape = {3}})});
  model.compile("adam", "sparse_categorical_crossentropy",
                {"macro_f1", "balanced_accuracy", std::make_shared<AUC>(AucOptions{.curve = Curve::PR, .class_id = 1},
                                                                       "pr_auc")});
  model.fit(x, y, {.epochs = 3, .batch_size = 8, .verbose = 0});
  EvalResult r = model.evaluate(x, y, {.batch_size = 7, .verbose = 0});
  Tensor p = model.predict(x);
  EXPECT_NEAR(r["macro_f1"], f1_score(y, p, {.average = Average::macro}), 1e-12);
  EXPECT_NEAR(r["balanced_accuracy"], balanced_accuracy_score(y, p), 1e-12);
  EXPECT_NEAR(r["pr_auc"], keras_auc_score(y, p, {.curve = Curve::PR, .class_id = 1}), 1e-9);
}

}  // namespace
}  // namespace nabla
