/**
 * NumPy interchange: {@link dev.kiln.ir.npy.Npy} reads and writes single {@code .npy} arrays and
 * {@link dev.kiln.ir.npy.Npz} whole {@code .npz} archives, to and from off-heap
 * {@link dev.kiln.ir.ConstantTensor}s. Model inputs travel as {@code x0, x1, ...}, outputs as
 * {@code y0, y1, ...}.
 */
package dev.kiln.ir.npy;
