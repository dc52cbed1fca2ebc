package io.objectbroker.provisioning;

/** The node is provisioned already; detach it first. */
public class NodeInUseException extends ProvisioningException {
  private static final long serialVersionUID = 1L;

  public NodeInUseException(String message) {
    super(message);
  }
}
