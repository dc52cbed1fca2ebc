package io.objectbroker.provisioning;

/** The node is not provisioned. */
public class NodeNotFoundException extends ProvisioningException {
  private static final long serialVersionUID = 1L;

  public NodeNotFoundException(String message) {
    super(message);
  }
}
