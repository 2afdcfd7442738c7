#include "test_util.h"

namespace nabla {
namespace {

using namespace data;

// 90 samples of class 0, 10 of class 1; x holds the row number so that rows can be traced back.
std::pair<Tensor, Tensor> skewed() {
  std::vector<float> x;
  std::vector<int64_t> y;
  for (int64_t i = 0; i < 100; ++i) {
    x.push_back(float(i));
    y.push_back(i % 10 == 3 ? 1 : 0);
  }
  return {Tensor::from_vector(x, Shape{100, 1}), Tensor::from_vector(y)};
}

std::map<int64_t, int64_t> counts(const Tensor& y) { return class_id_counts(y); }

// Every output row is an input row with its own label.
void expect_rows_consistent(const Tensor& x, const Tensor& y) {
  auto xv = x.to_vector<float>();
  auto yv = y.to_vector<int64_t>();
  for (size_t i = 0; i < xv.size(); ++i) ASSERT_EQ(yv[i], int64_t(xv[i]) % 10 == 3 ? 1 : 0) << "row " << i;
}

TEST(Resample, StratifiedCountsAndSeeds) {
  auto [x, y] = skewed();
  auto [xs, ys] = resample(x, y, {.n_samples = 50, .stratify = y, .random_state = 7});
  EXPECT_EQ(counts(ys), (std::map<int64_t, int64_t>{{0, 45}, {1, 5}}));
  expect_rows_consistent(xs, ys);
  auto again = resample(x, y, {.n_samples = 50, .stratify = y, .random_state = 7});
  EXPECT_EQ(again.first.to_vector<float>(), xs.to_vector<float>());
  auto other = resample(x, y, {.n_samples = 50, .stratify = y, .random_state = 8});
  EXPECT_NE(other.first.to_vector<float>(), xs.to_vector<float>());
  // Without replacement, all rows once: a permutation.
  auto perm = resample_indices(100, {.replace = false, .random_state = 1});
  std::sort(perm.begin(), perm.end());
  for (int64_t i = 0; i < 100; ++i) EXPECT_EQ(perm[size_t(i)], i);
  testing::expect_error_contains([&] { resample_indices(10, {.replace = false, .n_samples = 11}); },
                                             {"without replacement"});
  // Unseeded calls follow manual_seed.
  manual_seed(3);
  auto a = resample_indices(100);
  manual_seed(3);
  EXPECT_EQ(resample_indices(100), a);
}

TEST(Resample, OverAndUnderSamplers) {
  auto [x, y] = skewed();
  auto [xo, yo] = RandomOverSampler({}, 1).fit_resample(x, y);
  EXPECT_EQ(counts(yo), (std::map<int64_t, int64_t>{{0, 90}, {1, 90}}));
  expect_rows_consistent(xo, yo);
  EXPECT_EQ(slice(xo, 0, 0, 100).to_vector<float>(), x.to_vector<float>());  // originals first, in order
  EXPECT_EQ(RandomOverSampler({}, 1).fit_resample_indices(y), RandomOverSampler({}, 1).fit_resample_indices(y));
  EXPECT_NE(RandomOverSampler({}, 1).fit_resample_indices(y), RandomOverSampler({}, 2).fit_resample_indices(y));
  EXPECT_EQ(counts(RandomOverSampler(0.5, 1).fit_resample(x, y).second),
            (std::map<int64_t, int64_t>{{0, 90}, {1, 45}}));
  EXPECT_EQ(counts(RandomOverSampler(std::map<int64_t, int64_t>{{1, 30}}, 1).fit_resample(x, y).second),
            (std::map<int64_t, int64_t>{{0, 90}, {1, 30}}));

  auto [xu, yu] = RandomUnderSampler({}, 1).fit_resample(x, y);
  EXPECT_EQ(counts(yu), (std::map<int64_t, int64_t>{{0, 10}, {1, 10}}));
  expect_rows_consistent(xu, yu);
  auto xv = xu.to_vector<float>();
  EXPECT_TRUE(std::is_sorted(xv.begin(), xv.end()));
  EXPECT_EQ(std::set<float>(xv.begin(), xv.end()).size(), 20u);  // without replacement: distinct rows
  EXPECT_EQ(counts(RandomUnderSampler(0.25, 1).fit_resample(x, y).second),
            (std::map<int64_t, int64_t>{{0, 40}, {1, 10}}));
  EXPECT_EQ(counts(RandomUnderSampler(std::map<int64_t, int64_t>{{0, 50}}, 1).fit_resample(x, y).second),
            (std::map<int64_t, int64_t>{{0, 50}, {1, 10}}));
  testing::expect_error_contains(
      [&x = x, &y = y] { RandomUnderSampler(std::map<int64_t, int64_t>{{1, 50}}).fit_resample(x, y); },
      {"class 1", "10"});
  testing::expect_error_contains([&x = x, &y = y] { RandomOverSampler("sideways").fit_resample(x, y); },
                                 {"unknown sampling_strategy"});
}

TEST(Resample, StratifiedTrainTestSplit) {
  auto [x, y] = skewed();
  Split s = train_test_split(x, y, {.test_size = 0.2, .stratify = y, .random_state = 4});
  EXPECT_EQ(counts(s.y_test), (std::map<int64_t, int64_t>{{0, 18}, {1, 2}}));
  EXPECT_EQ(counts(s.y_train), (std::map<int64_t, int64_t>{{0, 72}, {1, 8}}));
  expect_rows_consistent(s.x_test, s.y_test);
  expect_rows_consistent(s.x_train, s.y_train);
  std::vector<float> all = s.x_train.to_vector<float>(), te = s.x_test.to_vector<float>();
  all.insert(all.end(), te.begin(), te.end());
  std::sort(all.begin(), all.end());
  EXPECT_EQ(all, x.to_vector<float>());  // a partition
  Split again = train_test_split(x, y, {.test_size = 0.2, .stratify = y, .random_state = 4});
  EXPECT_EQ(again.x_test.to_vector<float>(), te);
  // Unshuffled: the last rows are the test set.
  Split tail = train_test_split(x, y, {.test_size = 0.1, .shuffle = false});
  EXPECT_EQ(tail.x_test.to_vector<float>()[0], 90.0f);
}

TEST(Resample, StratifiedValidationSplitInFit) {
  // The rare class sits at the front, so Keras's plain split (the last 20%) has none of it in validation; the
  // stratified split keeps 20% of each class, which a model that always answers 0 reveals as val accuracy.
  std::vector<float> xv(50, 0.f);
  std::vector<int64_t> yv(50, 0);
  for (int i = 0; i < 10; ++i) yv[size_t(i)] = 1;
  Tensor x = Tensor::from_vector(xv, Shape{50, 1}), y = Tensor::from_vector(yv);
  Sequential model({layers::Dense(2, "softmax", {.input_shape = {1}})});
  model.compile("sgd", "sparse_categorical_crossentropy", {"accuracy"});
  model.build_if_possible();
  for (Tensor w : model.trainable_weights()) w.fill_(0);
  // Zero weights and zero inputs: both classes get 0.5; argmax picks class 0 for every sample.
  auto plain = model.fit(x, y, {.epochs = 1, .verbose = 0, .validation_split = 0.2, .shuffle = false});
  for (Tensor w : model.trainable_weights()) w.fill_(0);
  model.compile("sgd", "sparse_categorical_crossentropy", {"accuracy"});
  FitOptions o{.epochs = 1, .verbose = 0, .validation_split = 0.2, .stratify_validation_split = true};
  auto strat = model.fit(x, y, o);
  EXPECT_DOUBLE_EQ(plain["val_accuracy"].back(), 1.0);
  EXPECT_DOUBLE_EQ(strat["val_accuracy"].back(), 0.8);  // 8 of class 0 right, 2 of class 1 wrong
}

// The class mix of a rejection_resample'd stream: 5000 draws from a 90/9/1 stream towards a uniform target (the
// 200000 inputs give ~6000: the rare class is the bottleneck). Each class share is a binomial proportion with
// sd sqrt(p(1-p)/n) ~ 0.0067 at n = 5000; 0.04 is 6 sd.
std::vector<double> resampled_mix(bool give_initial, uint64_t seed) {
  const int64_t n_in = 200000;
  std::vector<int64_t> y(static_cast<size_t>(n_in));
  Generator g(11);
  for (auto& v : y) {
    double u = g.uniform();
    v = u < 0.9 ? 0 : u < 0.99 ? 1 : 2;
  }
  Dataset ds = Dataset::from_tensor_slices(Tensor::from_vector(y));
  std::optional<std::vector<double>> initial;
  if (give_initial) initial = std::vector<double>{0.9, 0.09, 0.01};
  Dataset r = ds.rejection_resample([](const Element& e) { return int64_t(e[0].item()); }, {1, 1, 1}, initial, seed)
                  .take(5000);
  std::vector<double> mix(3, 0.0);
  auto it = r.make_iterator();
  int64_t n = 0;
  while (auto e = it.next()) {
    EXPECT_EQ(e->size(), 2u);                          // (class, element)
    EXPECT_EQ((*e)[0].item(), (*e)[1].item());         // the class is the element's
    mix[size_t((*e)[0].item())] += 1;
    ++n;
  }
  EXPECT_EQ(n, 5000);
  for (double& v : mix) v /= double(n);
  return mix;
}

TEST(Resample, RejectionResampleReachesTarget) {
  for (bool give_initial : {true, false}) {
    SCOPED_TRACE(give_initial ? "initial_dist given" : "initial_dist estimated");
    auto mix = resampled_mix(give_initial, 5);
    for (double v : mix) EXPECT_NEAR(v, 1.0 / 3, 0.04);
    EXPECT_EQ(resampled_mix(give_initial, 5), mix);  // reproducible with a seed
  }
  // A class outside target_dist is named.
  Dataset bad = Dataset::range(5).rejection_resample([](const Element&) { return int64_t(3); }, {0.5, 0.5});
  testing::expect_error_contains([&] { bad.make_iterator().next(); }, {"class 3"});
}

}  // namespace
}  // namespace nabla
