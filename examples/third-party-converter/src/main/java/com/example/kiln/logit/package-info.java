/** An example third-party converter for {@code aten::logit}, found by Kiln through {@code ServiceLoader}. */
package com.example.kiln.logit;
