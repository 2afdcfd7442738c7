# The seed's "Weighted Loss" block. It uses model, train_images and train_labels from the training-loop block,
# whose lines (imports changed) come first.
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
class_weights = {0: 1, 1: 10}  # Example where class 1 is more important
model.fit(train_images, train_labels, class_weight=class_weights, epochs=5)
