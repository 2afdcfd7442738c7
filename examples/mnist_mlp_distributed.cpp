// The reference program, data-parallel: examples/mnist_mlp.cpp plus three lines (marked "+"), and the learning rate
// scaled with the global batch. Run it on N processes (one machine or several; add --hostfile for several):
//
//   mpirun -np 2 build/release/examples/mnist_mlp_distributed
//
// batch_size (Keras's default, 32) is per process, so the global batch is 32 * N and each epoch has 1/N the steps;
// Adam's learning rate grows with the square root of the global batch (the square-root rule for adaptive
// optimizers; SGD takes the linear rule, lr * N). Rank 0 prints; the others are silent.
#include <chrono>
#include <iostream>

#include <nabla/dist/multi_worker_mirrored_strategy.h>  // +
#include <nabla/nabla.h>
using namespace nabla;

int main() {
  dist::MultiWorkerMirroredStrategy strategy;  // + initialises MPI; one replica per process

  // Step 1: prepare data (every process loads it; each trains on its own shard of every global batch)
  auto [train, test] = datasets::mnist::load_data();
  auto train_images = train.images.to(f32) / 255.0;
  auto test_images = test.images.to(f32) / 255.0;

  // Step 2: build the model
  auto scope = strategy.scope();  // + models compiled in the scope train data-parallel
  Sequential model({
      layers::Flatten({28, 28}),
      layers::Dense(128, "relu"),
      layers::Dropout(0.2),
      layers::Dense(10, "softmax"),
  });

  // Step 3: compile the model
  model.compile(std::make_shared<optim::Adam>(0.001 * std::sqrt(strategy.num_replicas_in_sync())),
                "sparse_categorical_crossentropy", {"accuracy"});
  model.summary();

  // Step 4: train the model
  auto start = std::chrono::steady_clock::now();
  model.fit(train_images, train.labels, {.epochs = 5});
  std::cout << "fit_seconds: " << std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count()
            << "\n";

  // Step 5: evaluate the model (every replica holds the same weights; rank 0 reports)
  auto result = model.evaluate(test_images, test.labels, {.verbose = 2});
  std::cout << "Test accuracy: " << result["accuracy"] << std::endl;
}
