"""Data files shipped with ganlib (a 10,000-image MNIST subset; see MNIST_LICENSE.md)."""
