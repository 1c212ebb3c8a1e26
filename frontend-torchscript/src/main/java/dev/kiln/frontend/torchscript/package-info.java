/**
 * Reads TorchScript archives ({@code torch.jit.save}, traced or scripted) through libtorch (the
 * JavaCPP PyTorch preset, libtorch 2.5.1) into the IR.
 *
 * <p>{@link dev.kiln.frontend.torchscript.TorchScriptFrontend} checks the archive, loads it, puts the
 * module in eval mode and freezes it with {@code optimize_numerics=false} (parameters become
 * constants, submodule calls are inlined; batch norm is not folded, that is the passes' job), then
 * walks the frozen {@code forward} graph:
 * <ul>
 * <li>every {@code aten::} node becomes a node of its exact overload from the schema registry
 *     ({@link dev.kiln.frontend.torchscript.SchemaSource}), arguments in schema order;</li>
 * <li>{@code prim::Constant}s become literals where used (ints that the schema types as
 *     {@code ScalarType}, {@code Layout} or {@code MemoryFormat} become dtype, layout and memory-format
 *     literals) and tensors become off-heap graph constants, copied once out of libtorch;</li>
 * <li>lists and tuples ({@code ListConstruct}, {@code TupleConstruct}, their unpacking, {@code TupleIndex},
 *     {@code __getitem__}, {@code len}, and the in-place list changes {@code append}, {@code insert}, {@code pop},
 *     item assignment, {@code extend}, {@code reverse}, {@code del} and {@code clear}, done as Python does them) are
 *     tracked while converting and become list arguments (a change to a list built outside the run-time branch or
 *     loop it is in is refused: what the list holds would be known only at run time, except one append per trip of a
 *     run-time loop, whose elements become the loop's stacked scan output, and appends on both paths of a run-time
 *     branch, whose output is appended); a list returned by an op and unpacked
 *     becomes {@code prim::ListUnpack}, as in the torch.export frontend;</li>
 * <li>dicts with constant keys ({@code DictConstruct}, {@code d[k]}, {@code d[k] = v}, {@code get}, {@code in},
 *     {@code len}, {@code keys}, {@code values}, {@code items}, {@code copy}, {@code del}, {@code pop}, {@code update},
 *     {@code clear}) are tracked the same way; a dict returned by {@code forward} gives its values, in order;</li>
 * <li>scalar arithmetic on known values (the size arithmetic of traced models) is folded by running
 *     the op in libtorch, and shape queries on inputs with given types are answered;</li>
 * <li>{@code prim::If} with a known condition is folded; with a condition computed at run time it becomes a
 *     {@code kiln::cond} ({@link dev.kiln.ir.ControlFlow}) whose branches are closed nested graphs, what a branch
 *     writes in place coming back as an extra output and a Python number it sets ({@code k = 3}) made by a node of
 *     the branch; {@code prim::Loop} with a known trip count and condition is
 *     unrolled, with one computed at run time it becomes a {@code kiln::loop} with a closed body; assertion branches (one branch raises, the other is empty) are dropped; anything else is refused
 *     with the node's source location.</li>
 * </ul>
 * Graph inputs are the tensors (tuples flattened; one {@code List[Tensor]} parameter takes the input
 * types the others leave over; an {@code Optional} one is given, its {@code is None} checks folded; a
 * {@code Dict[str, Tensor]} one is an input per key the model reads or tests, in the order of first use) and
 * int/float/bool arguments of {@code forward}; outputs are flattened
 * tensors. {@link dev.kiln.frontend.torchscript.InputSpecs} reads input types
 * from an {@code .npz} of example inputs.
 *
 * <p>Refused: list inputs without input types (or more
 * than one), list outputs whose length is only known at run time, dict keys computed at run time (and dict inputs read otherwise), object
 * values, {@code prim::RaiseException} reached unconditionally, interpreter-only prim nodes without a
 * schema (e.g. {@code prim::CallFunction} left after freezing, {@code prim::PythonOp}, forks and
 * awaits), quantized/sparse/MKLDNN tensor constants.
 */
package dev.kiln.frontend.torchscript;
