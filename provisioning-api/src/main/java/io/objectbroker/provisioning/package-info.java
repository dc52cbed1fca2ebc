/**
 * The provisioning service as its clients see it: the remote interface {@link
 * io.objectbroker.provisioning.ProvisioningService}, the records it answers with ({@link
 * io.objectbroker.provisioning.Export}, {@link io.objectbroker.provisioning.ImageInfo}) and its
 * exceptions, all under {@link io.objectbroker.provisioning.ProvisioningException}. A client
 * needs this module and broker-client, nothing of the server.
 */
package io.objectbroker.provisioning;
