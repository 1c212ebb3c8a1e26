/**
 * Reads torch.export programs ({@code .pt2}, torch 2.6 to 2.11, training IR and core ATen) into the
 * IR in pure Java: no Python, no libtorch. {@link dev.kiln.frontend.fx.Pt2Loader} is the entry
 * point; {@link dev.kiln.frontend.fx.Pt2Archive} opens the three on-disk layouts
 * ({@link dev.kiln.frontend.fx.Pt2Layout}) and serves weights from the file's memory mapping.
 *
 * <pre>{@code Graph g = Pt2Loader.load(Path.of("model.pt2"));}</pre>
 */
package dev.kiln.frontend.fx;
