package io.objectbroker;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * Marks a method of a {@link Remote} interface (or every method of the interface) that only
 * callers with one of the given roles may call; any other caller gets a
 * {@link SecurityException} naming the method and the roles, before the call's arguments are
 * even decoded. An {@value Principal#ADMIN} may call it too. Unmarked methods are open to
 * every caller the server lets in. A server without users (one that serves loopback only,
 * unless told otherwise) checks no roles: every caller there may call everything.
 *
 * <pre>{@code
 * @RequiresRole("operator")
 * void provision(String image, String node);
 * }</pre>
 */
@Documented
@Retention(RetentionPolicy.RUNTIME)
@Target({ElementType.METHOD, ElementType.TYPE})
public @interface RequiresRole {
  /** The roles that may call it (any one of them). */
  String[] value();
}
