package io.objectbroker.examples.describe;

import io.objectbroker.Remote;
import java.util.List;

/**
 * The catalog as an old client has it (version 1): {@code price} took no currency. A call names
 * the object and the method, never the interface, so a proxy of this interface is exactly
 * what a client built against version 1 of {@link Catalog} holds.
 */
@Remote
public interface CatalogV1 {

  List<String> parts();

  long price(String part);
}
