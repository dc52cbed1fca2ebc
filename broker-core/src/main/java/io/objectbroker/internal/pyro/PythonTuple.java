package io.objectbroker.internal.pyro;

import java.util.Arrays;
import java.util.List;

/** A value that Python gets as a tuple (a Java list would become a Python list). */
public record PythonTuple(List<Object> items) {

  public static PythonTuple of(Object... items) {
    return new PythonTuple(Arrays.asList(items));
  }
}
