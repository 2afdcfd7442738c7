// The training loop spelled out: the eight steps that fit() runs for you.
#include <iostream>

#include <nabla/nabla.h>
using namespace nabla;

int main() {
  manual_seed(42);
  // 1. Data: MNIST, scaled to [0, 1].
  auto [train, test] = datasets::mnist::load_data();
  Tensor x_train = train.images.to(f32) / 255.0, x_test = test.images.to(f32) / 255.0;

  // 2. Model.
  Sequential model({layers::Flatten({28, 28}), layers::Dense(128, "relu"), layers::Dense(10)});
  model.build_if_possible();

  // 3. Loss (on logits) and 4. optimizer.
  losses::SparseCategoricalCrossentropy loss_fn(/*from_logits=*/true);
  optim::Adam optimizer(1e-3);
  std::vector<Tensor> params = model.trainable_weights();

  const int64_t batch = 64, n = x_train.size(0);
  for (int epoch = 0; epoch < 2; ++epoch) {
    Tensor order = randperm(n);  // a fresh shuffle each epoch
    double total = 0;
    int64_t steps = 0;
    for (int64_t start = 0; start < n; start += batch, ++steps) {
      Tensor idx = slice(order, 0, start, std::min(start + batch, n));
      Tensor xb = take_rows(x_train, idx), yb = take_rows(train.labels, idx);
      optim::Optimizer::zero_grad(params);
      Tensor logits = model(xb, /*training=*/true);  // 5. forward pass
      Tensor loss = loss_fn(yb, logits);             // 6. compute the loss
      loss.backward();                               // 7. backward pass: gradients into each parameter's .grad()
      optimizer.step(params);                        // 8. update the weights
      total += loss.item();
    }
    std::cout << "epoch " << epoch + 1 << " mean loss " << total / double(steps) << "\n";
  }

  NoGradGuard no_grad;
  Tensor predicted = argmax(model(x_test), 1);
  double correct = sum(equal(predicted, test.labels.to(i64))).item();
  std::cout << "Test accuracy: " << correct / double(x_test.size(0)) << std::endl;
}
