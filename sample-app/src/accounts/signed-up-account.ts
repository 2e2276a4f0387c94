/** The sign-up response: the new account plus the demo token the client uses from now on. */
export interface SignedUpAccount {
  id: string;
  email: string;
  name: string;
  createdAt: string;
  token: string;
}
