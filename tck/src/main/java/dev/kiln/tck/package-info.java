/**
 * The converter conformance kit: an abstract JUnit/jqwik class converter authors subclass to prove a converter right.
 */
package dev.kiln.tck;
