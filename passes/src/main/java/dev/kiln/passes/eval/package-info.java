/**
 * CPU evaluation of IR nodes and graphs with libtorch (JavaCPP PyTorch preset): {@link
 * dev.kiln.passes.eval.TorchEval} runs one node through the c10 dispatcher, {@link
 * dev.kiln.passes.eval.GraphEvaluator} a whole graph. Constant folding and the numeric tests use them.
 */
package dev.kiln.passes.eval;
