#include <cmath>
#include <filesystem>
#include <fstream>

#include "test_util.h"

namespace nabla {
namespace {

using callbacks::Logs;

// A one-layer regression model and data for callback tests.
struct Toy {
  std::unique_ptr<Sequential> model;
  Tensor x, y;
  explicit Toy(double lr = 0.05) {
    manual_seed(11);
    model = std::make_unique<Sequential>(std::vector<nn::LayerPtr>{layers::Dense(1, "", {.input_shape = {2}})});
    model->compile(std::make_shared<optim::SGD>(lr), "mse");
    x = Tensor::uniform({32, 2}, -1, 1);
    y = Tensor::uniform({32, 1}, -1, 1);
  }
  History fit(std::vector<callbacks::CallbackPtr> cbs, int epochs) {
    return model->fit(x, y, {.epochs = epochs, .batch_size = 8, .verbose = 0, .callbacks = std::move(cbs)});
  }
};

// Overwrites logs[key] with a scripted value per epoch, so the callbacks under test see a known sequence.
callbacks::CallbackPtr script(const std::string& key, std::vector<double> values) {
  auto cb = std::make_shared<callbacks::LambdaCallback>();
  cb->epoch_end = [key, values](int epoch, Logs& logs) { logs[key] = values.at(size_t(epoch)); };
  return cb;
}

TEST(EarlyStopping, StopsAfterPatienceEpochsWithoutImprovement) {
  Toy t;
  auto es = std::make_shared<callbacks::EarlyStopping>(callbacks::EarlyStoppingOptions{.patience = 2});
  History h = t.fit({script("val_loss", {1.0, 0.9, 0.95, 0.92, 0.91, 0.5, 0.4}), es}, 7);
  EXPECT_EQ(h.epoch.size(), 4u);  // epochs 2 and 3 do not improve on 0.9
  EXPECT_EQ(es->stopped_epoch(), 3);
  EXPECT_EQ(es->best_epoch(), 1);
  EXPECT_DOUBLE_EQ(es->best(), 0.9);
}

TEST(EarlyStopping, MinDeltaModeAndBaseline) {
  {  // improvements smaller than min_delta do not count
    Toy t;
    auto es = std::make_shared<callbacks::EarlyStopping>(callbacks::EarlyStoppingOptions{.min_delta = 0.1, .patience = 1});
    EXPECT_EQ(t.fit({script("val_loss", {1.0, 0.95, 0.5, 0.4})}, 4).epoch.size(), 4u);  // sanity: no callback
    EXPECT_EQ(t.fit({script("val_loss", {1.0, 0.95, 0.5, 0.4}), es}, 4).epoch.size(), 2u);
  }
  {  // auto mode maximises accuracies
    Toy t;
    auto es = std::make_shared<callbacks::EarlyStopping>(
        callbacks::EarlyStoppingOptions{.monitor = "val_accuracy", .patience = 1});
    EXPECT_EQ(t.fit({script("val_accuracy", {0.5, 0.6, 0.7, 0.65, 0.9}), es}, 5).epoch.size(), 4u);
  }
  {  // explicit max mode on a loss-like name
    Toy t;
    auto es = std::make_shared<callbacks::EarlyStopping>(
        callbacks::EarlyStoppingOptions{.monitor = "val_loss", .patience = 1, .mode = "max"});
    EXPECT_EQ(t.fit({script("val_loss", {0.5, 0.4, 0.3}), es}, 3).epoch.size(), 2u);
  }
  {  // with a baseline never reached, patience keeps counting through improvements
    Toy t;
    auto with = std::make_shared<callbacks::EarlyStopping>(
        callbacks::EarlyStoppingOptions{.patience = 2, .baseline = 0.5});
    auto without = std::make_shared<callbacks::EarlyStopping>(callbacks::EarlyStoppingOptions{.patience = 2});
    EXPECT_EQ(t.fit({script("val_loss", {0.9, 0.8, 0.85, 0.84}), with}, 4).epoch.size(), 3u);
    EXPECT_EQ(t.fit({script("val_loss", {0.9, 0.8, 0.85, 0.84}), without}, 4).epoch.size(), 4u);
  }
  EXPECT_THROW(callbacks::EarlyStopping({.mode = "sideways"}), Error);
}

TEST(EarlyStopping, RestoresBestWeights) {
  Toy t(0.1);
  std::vector<std::vector<Tensor>> per_epoch;
  auto record = std::make_shared<callbacks::LambdaCallback>();
  record->epoch_end = [&](int, Logs&) { per_epoch.push_back(t.model->get_weights()); };
  auto es = std::make_shared<callbacks::EarlyStopping>(
      callbacks::EarlyStoppingOptions{.patience = 2, .restore_best_weights = true});
  History h = t.fit({script("val_loss", {0.5, 0.3, 0.4, 0.45, 0.1}), record, es}, 5);
  ASSERT_EQ(h.epoch.size(), 4u);
  auto now = t.model->get_weights();
  EXPECT_EQ(now[0].to_vector<float>(), per_epoch[1][0].to_vector<float>());
  EXPECT_EQ(now[1].to_vector<float>(), per_epoch[1][1].to_vector<float>());
  EXPECT_NE(now[0].to_vector<float>(), per_epoch[3][0].to_vector<float>());
}

TEST(ModelCheckpoint, FormatsPaths) {
  Logs logs{{"val_loss", 0.12345}, {"loss", 2.5}};
  EXPECT_EQ(callbacks::format_checkpoint_path("w.{epoch:03d}-{val_loss:.2f}{{x}}", 7, logs), "w.007-0.12{x}");
  EXPECT_EQ(callbacks::format_checkpoint_path("e{epoch}_{loss}", 2, logs), "e2_2.5");
  testing::expect_error_contains<ValueError>([&] { callbacks::format_checkpoint_path("{acc}", 1, logs); },
                                             {"{acc}", "val_loss"});
  testing::expect_error_contains<ValueError>([&] { callbacks::format_checkpoint_path("{loss:%n}", 1, logs); },
                                             {"unsupported format spec"});
}

TEST(ModelCheckpoint, SavesEveryEpochAndReloadsIdenticalWeights) {
  Toy t;
  std::string dir = testing::temp_dir();
  auto ck = std::make_shared<callbacks::ModelCheckpoint>(dir + "/ckpt/w.{epoch:02d}.weights.h5",
                                                         callbacks::ModelCheckpointOptions{.save_weights_only = true});
  t.fit({ck}, 3);
  for (int e = 1; e <= 3; ++e)
    EXPECT_TRUE(std::filesystem::exists(dir + "/ckpt/w.0" + std::to_string(e) + ".weights.h5"));
  EXPECT_EQ(ck->last_saved(), dir + "/ckpt/w.03.weights.h5");

  Toy other;
  other.model->optimizer().set_learning_rate(0.5);
  other.fit({}, 1);  // move its weights away from the first model's
  other.model->load_weights(ck->last_saved());
  auto a = t.model->get_weights(), b = other.model->get_weights();
  for (size_t i = 0; i < a.size(); ++i) EXPECT_EQ(a[i].to_vector<float>(), b[i].to_vector<float>());
}

TEST(ModelCheckpoint, SaveBestOnlyKeepsTheBestEpoch) {
  Toy t;
  std::string path = testing::temp_dir() + "/best.weights.h5";
  std::vector<std::vector<Tensor>> per_epoch;
  auto record = std::make_shared<callbacks::LambdaCallback>();
  record->epoch_end = [&](int, Logs&) { per_epoch.push_back(t.model->get_weights()); };
  std::ostringstream out;
  auto ck = std::make_shared<callbacks::ModelCheckpoint>(
      path, callbacks::ModelCheckpointOptions{.verbose = 1, .save_best_only = true, .save_weights_only = true,
                                              .out = &out});
  t.fit({script("val_loss", {0.5, 0.6, 0.4, 0.45}), record, ck}, 4);
  EXPECT_DOUBLE_EQ(ck->best(), 0.4);
  EXPECT_NE(out.str().find("val_loss did not improve from 0.5"), std::string::npos) << out.str();
  Toy other;
  other.model->load_weights(path);
  EXPECT_EQ(other.model->get_weights()[0].to_vector<float>(), per_epoch[2][0].to_vector<float>());
}

TEST(ModelCheckpoint, WritesWholeKerasModelsThatLoadCompiled) {
  Toy t;
  const std::string dir = testing::temp_dir();
  auto ck = std::make_shared<callbacks::ModelCheckpoint>(dir + "/m.{epoch:02d}.keras");
  t.fit({ck}, 2);
  ASSERT_EQ(ck->last_saved(), dir + "/m.02.keras");
  std::shared_ptr<Model> loaded = load_model(ck->last_saved());
  ASSERT_TRUE(loaded->compiled());
  EXPECT_EQ(loaded->optimizer().iterations(), t.model->optimizer().iterations());
  auto a = t.model->get_weights(), b = loaded->get_weights();
  ASSERT_EQ(a.size(), b.size());
  for (size_t i = 0; i < a.size(); ++i) EXPECT_EQ(a[i].to_vector<float>(), b[i].to_vector<float>());
  EXPECT_EQ(t.model->predict(t.x).to_vector<float>(), loaded->predict(t.x).to_vector<float>());
}

TEST(ModelCheckpoint, RefusesPathsKerasRefuses) {
  testing::expect_error_contains<ValueError>([] { callbacks::ModelCheckpoint("w.weights"); }, {".keras", "w.weights"});
  testing::expect_error_contains<ValueError>(
      [] { callbacks::ModelCheckpoint("m.keras", {.save_weights_only = true}); }, {".weights.h5", "m.keras"});
}

TEST(BackupAndRestore, RefusesABackupOfAnotherModel) {
  const std::string dir = testing::temp_dir() + "/backup";
  Toy t;
  auto keep = std::make_shared<callbacks::BackupAndRestore>(dir, 0, /*delete_checkpoint=*/false);
  t.fit({keep}, 1);
  ASSERT_TRUE(std::filesystem::exists(keep->backup_path()));
  manual_seed(11);
  Sequential other(std::vector<nn::LayerPtr>{layers::Dense(3, "", {.input_shape = {2}})});
  other.compile("sgd", "mse");
  const auto before = other.get_weights()[0].to_vector<float>();
  auto restore = std::make_shared<callbacks::BackupAndRestore>(dir);
  testing::expect_error_contains<IOError>(
      [&] { other.fit(t.x, Tensor::zeros({32, 3}), {.epochs = 2, .verbose = 0, .callbacks = {restore}}); },
      {"latest.weights.h5", "layers/0/vars/0", "float32 (2, 1)", "(2, 3)"});
  EXPECT_EQ(other.get_weights()[0].to_vector<float>(), before);  // untouched
  EXPECT_TRUE(std::filesystem::exists(keep->backup_path()));    // a failed resume keeps the backup
}

TEST(BackupAndRestore, ResumesAtTheSavedEpochAndDeletesTheBackupWhenDone) {
  const std::string dir = testing::temp_dir() + "/backup";
  Toy t;
  auto stop = std::make_shared<callbacks::LambdaCallback>();
  stop->epoch_end = [&](int epoch, Logs&) {
    if (epoch == 1) throw std::runtime_error("interrupted");  // a crash after epoch 2's backup
  };
  auto bar = std::make_shared<callbacks::BackupAndRestore>(dir);
  EXPECT_THROW(t.fit({bar, stop}, 4), std::runtime_error);
  ASSERT_TRUE(std::filesystem::exists(bar->backup_path()));
  History h = t.fit({bar}, 4);
  EXPECT_TRUE(bar->restored());
  EXPECT_EQ(h.epoch, (std::vector<int>{2, 3}));
  EXPECT_FALSE(std::filesystem::exists(dir));
}

// fit on a reshuffling pipeline (tf.data's shuffle with reshuffle_each_iteration), interrupted in epoch 2 and
// resumed by a fresh model and a pipeline built anew, as in a restarted process: the resumed epochs see the
// orders of the uninterrupted run (the backup records the passes made), so the weights end bit-identical. With
// steps_per_epoch the pass continues across epochs, so the position is also the elements taken from it.
TEST(BackupAndRestore, ResumesAReshufflingDatasetExactly) {
  struct Run {  // what a process builds: the seeds, the model, the pipeline (its shuffle seed drawn from them)
    Toy t;
    data::Dataset ds = data::Dataset::from_tensor_slices(t.x, t.y).shuffle(32).batch(8);
    std::vector<float> fit(std::vector<callbacks::CallbackPtr> cbs, int64_t steps_per_epoch) {
      t.model->fit(ds, {.epochs = 4, .verbose = 0, .callbacks = std::move(cbs), .steps_per_epoch = steps_per_epoch});
      std::vector<float> w;
      for (const Tensor& v : t.model->get_weights())
        for (float f : v.to_vector<float>()) w.push_back(f);
      return w;
    }
  };
  for (int64_t steps_per_epoch : {-1, 3}) {
    SCOPED_TRACE(steps_per_epoch);
    const std::string dir = testing::temp_dir() + "/backup_ds" + std::to_string(steps_per_epoch);
    const std::vector<float> expected = Run().fit({}, steps_per_epoch);
    {
      Run interrupted;
      auto stop = std::make_shared<callbacks::LambdaCallback>();
      int epoch_now = 0;
      stop->epoch_begin = [&](int epoch, Logs&) { epoch_now = epoch; };
      stop->batch_end = [&](int64_t step, Logs&) {
        if (epoch_now == 2 && step == 1) throw std::runtime_error("interrupted");
      };
      auto bar = std::make_shared<callbacks::BackupAndRestore>(dir, 1, /*delete_checkpoint=*/false);
      EXPECT_THROW(interrupted.fit({bar, stop}, steps_per_epoch), std::runtime_error);
    }
    Run resumed;
    auto bar = std::make_shared<callbacks::BackupAndRestore>(dir);
    const std::vector<float> got = resumed.fit({bar}, steps_per_epoch);
    EXPECT_TRUE(bar->restored());
    EXPECT_EQ(got, expected);
  }
}

std::vector<std::string> read_lines(const std::string& path) {
  std::ifstream f(path);
  std::vector<std::string> lines;
  for (std::string l; std::getline(f, l);) lines.push_back(l);
  return lines;
}

TEST(CSVLogger, WritesOneRowPerEpochAndAppends) {
  Toy t;
  std::string path = testing::temp_dir() + "/log.csv";
  History h = t.fit({script("val_loss", {0.25, 0.125}), std::make_shared<callbacks::CSVLogger>(path)}, 2);
  auto lines = read_lines(path);
  ASSERT_EQ(lines.size(), 3u);
  EXPECT_EQ(lines[0], "epoch,loss,val_loss");
  EXPECT_EQ(lines[1].substr(lines[1].rfind(',')), ",0.25");
  EXPECT_EQ(lines[2].substr(0, 2), "1,");
  double loss1 = std::stod(lines[2].substr(2, lines[2].rfind(',') - 2));
  EXPECT_EQ(loss1, h["loss"][1]);  // shortest round-trip text reads back exactly

  t.fit({std::make_shared<callbacks::CSVLogger>(path, ";", true)}, 1);
  lines = read_lines(path);
  ASSERT_EQ(lines.size(), 4u);  // no second header
  EXPECT_EQ(lines[3].substr(0, 2), "0;");
  t.fit({std::make_shared<callbacks::CSVLogger>(path, ";")}, 1);
  lines = read_lines(path);
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_EQ(lines[0], "epoch;loss");
}

TEST(ReduceLROnPlateau, LowersTheRateAfterPatienceWithCooldownAndFloor) {
  {
    Toy t(0.1);
    auto cb = std::make_shared<callbacks::ReduceLROnPlateau>(
        callbacks::ReduceLROnPlateauOptions{.factor = 0.5, .patience = 2});
    History h = t.fit({script("val_loss", {1, 1, 1, 1, 1, 1}), cb}, 6);
    std::vector<double> expect{0.1, 0.1, 0.1, 0.05, 0.05, 0.025};
    ASSERT_EQ(h["learning_rate"].size(), expect.size());
    for (size_t i = 0; i < expect.size(); ++i) EXPECT_NEAR(h["learning_rate"][i], expect[i], 1e-12) << i;
    EXPECT_NEAR(t.model->optimizer().learning_rate(), 0.025, 1e-12);
  }
  {
    Toy t(0.1);
    auto cb = std::make_shared<callbacks::ReduceLROnPlateau>(
        callbacks::ReduceLROnPlateauOptions{.factor = 0.5, .patience = 2, .cooldown = 1, .min_lr = 0.04});
    t.fit({script("val_loss", {1, 1, 1, 1, 1, 1, 1, 1}), cb}, 8);
    EXPECT_NEAR(t.model->optimizer().learning_rate(), 0.04, 1e-12);
  }
  EXPECT_THROW(callbacks::ReduceLROnPlateau({.factor = 1.5}), Error);
}

TEST(LearningRateScheduler, SetsTheRateEachEpoch) {
  Toy t(0.1);
  std::vector<double> seen;
  auto spy = std::make_shared<callbacks::LambdaCallback>();
  spy->batch_begin = [&](int64_t b, Logs&) {
    if (b == 0) seen.push_back(t.model->optimizer().learning_rate());
  };
  auto cb = std::make_shared<callbacks::LearningRateScheduler>([](int epoch, double lr) { return epoch < 2 ? lr : lr * 0.5; });
  History h = t.fit({cb, spy}, 4);
  std::vector<double> expect{0.1, 0.1, 0.05, 0.025};
  ASSERT_EQ(seen.size(), 4u);
  for (size_t i = 0; i < 4; ++i) {
    EXPECT_NEAR(seen[i], expect[i], 1e-12);
    EXPECT_NEAR(h["learning_rate"][i], expect[i], 1e-12);
  }
}

TEST(TerminateOnNaN, StopsAtTheFirstNonFiniteLoss) {
  Toy t(1e30);  // diverges within a few steps
  std::ostringstream out;
  auto cb = std::make_shared<callbacks::TerminateOnNaN>(&out);
  int64_t batches = 0;
  auto count = std::make_shared<callbacks::LambdaCallback>();
  count->batch_end = [&](int64_t, Logs&) { ++batches; };
  History h = t.fit({count, cb}, 5);
  ASSERT_GE(cb->terminated_batch(), 0);
  EXPECT_EQ(h.epoch.size(), 1u);
  EXPECT_EQ(batches, cb->terminated_batch() + 1);
  EXPECT_NE(out.str().find("Batch " + std::to_string(cb->terminated_batch()) + ": Invalid loss"), std::string::npos);
  EXPECT_FALSE(std::isfinite(h["loss"][0]));
}

}  // namespace
}  // namespace nabla
