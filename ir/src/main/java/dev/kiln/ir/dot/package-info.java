/** Graphviz export of IR graphs for pictures: {@link dev.kiln.ir.dot.DotExporter}. */
package dev.kiln.ir.dot;
