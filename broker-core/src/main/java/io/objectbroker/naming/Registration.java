package io.objectbroker.naming;

import io.objectbroker.Principal;
import java.time.Instant;
import java.util.Objects;
import java.util.Set;
import java.util.TreeSet;

/**
 * A name, the URI it stands for, its metadata tags, and when it expires.
 *
 * <p>A registration is either permanent ({@code expiresAtMillis == }{@link #PERMANENT}), as
 * made by {@link NameServer#register}, or a lease that ends at {@code expiresAtMillis}
 * (wall-clock milliseconds since the epoch) unless renewed, as made by
 * {@link NameServer#registerLease}. Name servers that share a store compare these wall-clock
 * times, so their clocks should agree to well within a lease's time-to-live.
 *
 * @param expiresAtMillis when the lease ends, in milliseconds since the epoch; {@link
 *     #PERMANENT} for a registration that never expires
 * @param owner the identity that registered it, which alone (with admins) may change or remove
 *     it; {@code "anonymous"} for one registered without credentials
 */
public record Registration(String name, String uri, Set<String> metadata, long expiresAtMillis,
    String owner) {

  /** The {@link #expiresAtMillis()} of a registration that never expires. */
  public static final long PERMANENT = 0;

  public Registration {
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(uri, "uri");
    metadata = Set.copyOf(metadata);
    Objects.requireNonNull(owner, "owner");
    if (expiresAtMillis < 0) {
      throw new IllegalArgumentException("expiresAtMillis: " + expiresAtMillis
          + " (expected: >= 0, 0 for permanent)");
    }
  }

  /** A registration owned by no one in particular ({@code "anonymous"}). */
  public Registration(String name, String uri, Set<String> metadata, long expiresAtMillis) {
    this(name, uri, metadata, expiresAtMillis, Principal.ANONYMOUS.name());
  }

  /** A permanent registration owned by no one in particular. */
  public Registration(String name, String uri, Set<String> metadata) {
    this(name, uri, metadata, PERMANENT);
  }

  /** Whether this is a lease, which ends unless renewed. */
  public boolean isLease() {
    return expiresAtMillis != PERMANENT;
  }

  /** Whether this lease has ended at {@code nowMillis}; never for a permanent registration. */
  public boolean isExpiredAt(long nowMillis) {
    return isLease() && nowMillis >= expiresAtMillis;
  }

  /** This registration with other metadata tags. */
  public Registration withMetadata(Set<String> tags) {
    return new Registration(name, uri, tags, expiresAtMillis, owner);
  }

  @Override
  public String toString() {
    StringBuilder s = new StringBuilder(name).append(" -> ").append(uri);
    if (!metadata.isEmpty()) {
      s.append(' ').append(new TreeSet<>(metadata));
    }
    if (!owner.equals(Principal.ANONYMOUS.name())) {
      s.append(" owned by ").append(owner);
    }
    if (isLease()) {
      s.append(" (lease until ").append(Instant.ofEpochMilli(expiresAtMillis)).append(')');
    }
    return s.toString();
  }
}
