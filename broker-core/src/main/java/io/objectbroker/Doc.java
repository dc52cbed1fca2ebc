package io.objectbroker;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * What a {@link Remote} interface or one of its methods does, in a sentence or two, for the
 * people who call it without its source: Javadoc is gone at run time, this is not. It is
 * shown in the object's {@link InterfaceDescription} ({@code nsc describe NAME}, the gateway's
 * {@code GET /describe/NAME}), and never enters its checksum: fixing a sentence marks no
 * client stale.
 *
 * <pre>{@code
 * @Remote
 * @Doc("Disk images and the nodes they are exported to.")
 * public interface ProvisioningService {
 *   @Doc("Clones IMAGE for NODE and exports the clone to it over iSCSI.")
 *   void provision(String image, String node) throws ImageNotFoundException;
 * }
 * }</pre>
 */
@Documented
@Retention(RetentionPolicy.RUNTIME)
@Target({ElementType.METHOD, ElementType.TYPE})
public @interface Doc {
  /** The text, plain; a line or two. */
  String value();
}
