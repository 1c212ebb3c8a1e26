/**
 * Reading {@code torch.save} payloads without Python: a restricted unpickler that builds only
 * plain data and tensor records, and refuses every other global by name.
 */
package dev.kiln.frontend.fx.pickle;
