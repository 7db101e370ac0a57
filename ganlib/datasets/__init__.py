"""Data files shipped with ganlib: the full MNIST (mnist/) and a 10,000-digit subset for quick
mode (mnist_10k.npz); sources, checksums and licence in MNIST_LICENSE.md."""
