package io.objectbroker.provisioning;

/**
 * The image would be larger than the server allows, alone or together with the images it has;
 * the message names the limit and the size asked for. Nothing was created.
 */
public class QuotaExceededException extends ProvisioningException {
  private static final long serialVersionUID = 1L;

  public QuotaExceededException(String message) {
    super(message);
  }
}
