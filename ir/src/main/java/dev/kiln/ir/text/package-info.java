/**
 * The IR's text form: {@link dev.kiln.ir.text.IrPrinter} writes a {@link dev.kiln.ir.Graph} as
 * stable, MLIR-like text and {@link dev.kiln.ir.text.IrParser} reads it back to an identical graph.
 * Pass tests and {@code kiln-opt} work on this form.
 *
 * <pre>
 * graph &#64;mlp(%x: tensor&lt;f32, [s0, 4]&gt;) {
 *   symbol s0 in [1, 64]
 *   attribute source = "mlp.pt2"
 *   const %w : tensor&lt;f32, [8, 4]&gt; = dense&lt;"0x0000803F..."&gt;
 *   %linear : tensor&lt;f32, [s0, 8]&gt; = aten::linear(%x, %w, none) loc("model.py":12)
 *   %relu : tensor&lt;f32, [s0, 8]&gt; = aten::relu(%linear)
 *   return %relu
 * }
 * </pre>
 *
 * <p>Rules of the form:
 * <ul>
 * <li>Statements come in the order symbols, attributes, constants, nodes, {@code return}; the
 *     parser also accepts them interleaved as long as every value is defined before it is used.</li>
 * <li>A node lists ALL its arguments in schema order (defaults included); the parser checks the
 *     count against the schema and fills nothing in.</li>
 * <li>Literals: ints {@code 3}; floats always carry a {@code .}, an exponent or are {@code inf},
 *     {@code -inf}, {@code nan} ({@code -0.0} and every finite value round-trip bit-exactly);
 *     {@code true}, {@code false}, {@code none}; JSON strings; {@code dtype<f16>},
 *     {@code device<"cuda:0">}, {@code layout<strided>}, {@code memory_format<contiguous_format>};
 *     lists {@code [%a, -1]}.</li>
 * <li>Names are {@code %name} (letters, digits, {@code _} and {@code .}) or quoted JSON strings
 *     {@code %"weird name"}. A node's name is printed ({@code name("conv_1")}) only when it differs
 *     from its first output's name (for nodes without outputs: from the op's base name);
 *     {@code loc("file":line)} or {@code loc("file":line, "code")} gives its source location.</li>
 * <li>Shapes are lists of size expressions ({@code [s0*2 + 1, max(s1, 4), s2 // 2]}) over declared
 *     symbols, {@code *} when unranked; {@code tensor} alone is a tensor of unknown dtype and shape,
 *     {@code ?} an unknown dtype.</li>
 * <li>Constants carry their full little-endian bytes as hex ({@code dense<"0x...">}). For display,
 *     {@link dev.kiln.ir.text.IrPrinter.Options#elidingOver(long)} prints large ones as
 *     {@code dense<elided>}; the parser refuses those unless
 *     {@link dev.kiln.ir.text.IrParser.Options#acceptingElided()} is given, which fills them with zeros.</li>
 * <li>Nested graphs of higher-order ops follow the node in braces.</li>
 * <li>{@code #} starts a comment to the end of the line (not preserved).</li>
 * </ul>
 */
package dev.kiln.ir.text;
