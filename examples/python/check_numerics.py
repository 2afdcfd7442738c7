# The seed's "Check for NaN values" block. It checks a `tensor` it does not define: here the training images of
# the training-loop block (imports changed), as a nabla tensor.
import nabla as tf

(train_images, train_labels), (test_images, test_labels) = tf.keras.datasets.mnist.load_data()
train_images = train_images / 255.0  # Normalize the images
tensor = tf.constant(train_images)

# --- the seed's block ---
# Check for NaN values
tf.debugging.check_numerics(tensor, message="Tensor contains NaNs")
print("check_numerics: no NaN or Inf in", tensor.shape)
