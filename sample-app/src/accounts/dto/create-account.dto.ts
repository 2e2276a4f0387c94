import { IsEmail, IsString, Length } from 'class-validator';

export class CreateAccountDto {
  @IsEmail()
  email!: string;

  @IsString()
  @Length(1, 80)
  name!: string;
}
