export interface Account {
  id: string;
  email: string;
  name: string;
  createdAt: Date;
}
