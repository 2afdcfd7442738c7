// compile with a loss whose reduction is "none": Keras's trainer minimises the sum of the per-sample losses and
// reports their mean.
#include <gtest/gtest.h>

#include "nabla/nabla.h"

namespace nabla {
namespace {

TEST(LossReduction, NoneTrainsOnTheSumAndReportsTheMean) {
  manual_seed(5);
  Tensor x = Tensor::normal({8, 3}), y = Tensor::normal({8, 2});
  auto da = layers::Dense(2, "", {.input_shape = {3}});
  auto db = layers::Dense(2, "", {.input_shape = {3}});
  Sequential a({da}), b({db});
  a.compile(std::make_shared<optim::SGD>(0.01), std::make_shared<losses::MeanSquaredError>("none"));
  b.compile(std::make_shared<optim::SGD>(0.01), std::make_shared<losses::MeanSquaredError>("sum"));
  a.build_if_possible();
  b.build_if_possible();
  b.set_weights(a.get_weights());
  double mean_loss = losses::MeanSquaredError()(y, a.predict_on_batch(x)).item();
  auto logs = a.train_on_batch(x, y);
  b.train_on_batch(x, y);
  EXPECT_NEAR(logs.at("loss"), mean_loss, 1e-6);
  Tensor wa = da->weight("kernel"), wb = db->weight("kernel");
  for (int64_t i = 0; i < wa.numel(); ++i) EXPECT_FLOAT_EQ(wa.data<float>()[i], wb.data<float>()[i]);
}

}  // namespace
}  // namespace nabla
