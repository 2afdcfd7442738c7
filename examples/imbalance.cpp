// Class imbalance on a real dataset: MNIST with the digit 3 cut to 1% of its training samples (~60 of ~6000).
// The same small MLP is trained four ways — plain, class_weight "balanced", random oversampling, focal loss —
// with fixed seeds, and each is scored on the untouched test set with metrics that do not hide the minority.
// The table is reproduced in docs/imbalance.md.
#include <chrono>
#include <cstdio>
#include <iostream>

#include <nabla/nabla.h>
using namespace nabla;

namespace {

constexpr int64_t kMinority = 3;
constexpr int kEpochs = 3;

struct Scores {
  double accuracy, recall, precision, macro_f1, average_precision;
};

std::shared_ptr<Sequential> make_model() {
  manual_seed(42);  // the same initial weights and batch order for every run
  return std::make_shared<Sequential>(std::vector<nn::LayerPtr>{
      layers::Flatten({28, 28}), layers::Dense(64, "relu"), layers::Dense(10, "softmax")});
}

Scores score(Sequential& model, const Tensor& x, const Tensor& y) {
  Tensor p = model.predict(x, {.batch_size = 256});
  using namespace metrics;
  return {
      .accuracy = f1_score(y, p, {.average = Average::micro}),
      .recall = recall_score(y, p, {.class_id = kMinority}),
      .precision = precision_score(y, p, {.class_id = kMinority}),
      .macro_f1 = f1_score(y, p, {.average = Average::macro}),
      .average_precision = average_precision_score(y, p, {.class_id = kMinority}),
  };
}

}  // namespace

int main() {
  auto start = std::chrono::steady_clock::now();
  auto [train, test] = datasets::mnist::load_data();
  Tensor x_all = train.images.to(f32) / 255.0;
  Tensor x_test = test.images.to(f32) / 255.0;

  // Keep every sample but 99% of the minority digit's.
  std::vector<int64_t> keep;
  auto labels = train.labels.to(i64).to_vector<int64_t>();
  int64_t seen = 0;
  for (size_t i = 0; i < labels.size(); ++i)
    if (labels[i] != kMinority || seen++ % 100 == 0) keep.push_back(int64_t(i));
  Tensor x = take_rows(x_all, keep), y = take_rows(train.labels, keep);
  std::cout << "Training samples: " << y.size(0) << ", of which digit " << kMinority << ": "
            << class_id_counts(y)[kMinority] << "\n";

  std::vector<std::pair<std::string, Scores>> rows;
  FitOptions fit{.epochs = kEpochs, .verbose = 0};

  {
    auto model = make_model();
    model->compile("adam", "sparse_categorical_crossentropy");
    model->fit(x, y, fit);
    rows.emplace_back("plain", score(*model, x_test, test.labels));
  }
  Scores weighted;
  {
    auto model = make_model();
    model->compile("adam", "sparse_categorical_crossentropy");
    FitOptions o = fit;
    o.class_weight = compute_class_weight("balanced", y);
    model->fit(x, y, o);
    weighted = score(*model, x_test, test.labels);
    rows.emplace_back("class_weight", weighted);
  }
  {
    // Oversample the minority to a tenth of the majority: full parity would repeat each of its ~60 images ~100
    // times per epoch and overfit them.
    auto model = make_model();
    model->compile("adam", "sparse_categorical_crossentropy");
    auto counts = class_id_counts(y);
    int64_t target = counts[0] / 10;
    auto [xo, yo] = data::RandomOverSampler(std::map<int64_t, int64_t>{{kMinority, target}}, 42).fit_resample(x, y);
    model->fit(xo, yo, fit);
    rows.emplace_back("oversampling", score(*model, x_test, test.labels));
  }
  {
    auto model = make_model();
    model->compile("adam", std::make_shared<losses::SparseCategoricalFocalCrossentropy>(
                               losses::CategoricalFocalCrossentropy::Options{.alpha = {1.0}, .gamma = 2.0}));
    model->fit(x, y, fit);
    rows.emplace_back("focal loss", score(*model, x_test, test.labels));
  }

  std::printf("\n| %-13s | %8s | %15s | %18s | %8s | %13s |\n", "method", "accuracy", "minority recall",
              "minority precision", "macro-F1", "avg precision");
  std::printf("|---------------|----------|-----------------|--------------------|----------|---------------|\n");
  for (auto& [name, s] : rows)
    std::printf("| %-13s | %8.4f | %15.4f | %18.4f | %8.4f | %13.4f |\n", name.c_str(), s.accuracy, s.recall,
                s.precision, s.macro_f1, s.average_precision);
  std::cout << "\nseconds: " << std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count()
            << "\n";
  std::cout << "Test accuracy: " << weighted.accuracy << std::endl;
}
