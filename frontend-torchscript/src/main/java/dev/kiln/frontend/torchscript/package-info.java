/**
 * Reads TorchScript archives (torch.jit.save, traced or scripted) through libtorch into the IR.
 */
package dev.kiln.frontend.torchscript;
