/**
 * Zip archives read without heap copies of their data ({@link dev.kiln.frontend.fx.archive.ZipArchive}),
 * with limits against hostile files, and tensors rebuilt from raw storages
 * ({@link dev.kiln.frontend.fx.archive.StridedTensors}).
 */
package dev.kiln.frontend.fx.archive;
