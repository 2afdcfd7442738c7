# The seed's "Efficient Data Pipelines Using tf.data" block. It uses train_images, train_labels and model from
# the training-loop block, whose lines (imports changed) come first.
import nabla as tf
from nabla.keras import layers, models

(train_images, train_labels), (test_images, test_labels) = tf.keras.datasets.mnist.load_data()
train_images = train_images / 255.0  # Normalize the images
model = models.Sequential([
    layers.Flatten(input_shape=(28, 28)),
    layers.Dense(128, activation='relu'),
    layers.Dropout(0.2),
    layers.Dense(10, activation='softmax')
])
model.compile(optimizer='adam', loss='sparse_categorical_crossentropy', metrics=['accuracy'])

# --- the seed's block ---
import nabla as tf

# Create a simple dataset
dataset = tf.data.Dataset.from_tensor_slices((train_images, train_labels))

# Apply transformations
dataset = dataset.shuffle(buffer_size=10000).batch(32).prefetch(tf.data.experimental.AUTOTUNE)

# Train model
model.fit(dataset, epochs=5)
