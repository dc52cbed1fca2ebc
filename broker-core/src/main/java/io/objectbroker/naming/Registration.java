package io.objectbroker.naming;

import java.util.Objects;
import java.util.Set;

/** A name, the URI it stands for, and its metadata tags. */
public record Registration(String name, String uri, Set<String> metadata) {

  public Registration {
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(uri, "uri");
    metadata = Set.copyOf(metadata);
  }

  @Override
  public String toString() {
    return metadata.isEmpty() ? name + " -> " + uri
        : name + " -> " + uri + " " + new java.util.TreeSet<>(metadata);
  }
}
